"""The HTTP server in a process of its own, as ``riverhost serve`` runs it, for benchmarks.

A benchmark module answers ``python -m <module> --serve URL PORT`` by calling
:func:`serve_forever` with its registry; :func:`serving` starts that process, waits until it
serves, and yields its base URL and pid (for the server's own CPU and scheduling figures).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

from benchmarks.bench import ROOT


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve_forever(registry: Any, url: str, port: int) -> None:
    """In the server process: the HTTP server alone until killed; says ``serving`` once up."""
    from riverhost.http import HttpServer
    from riverhost.logging import configure

    configure(level="warning")

    async def main() -> None:
        server = HttpServer(registry, url, f"127.0.0.1:{port}")
        await server.start()
        print("serving", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


@contextlib.contextmanager
def serving(module: str, url: str) -> Iterator[tuple[str, int]]:
    """``python -m module --serve url port`` in a process of its own: its base URL and pid."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "--serve", url, str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "serving":
            raise RuntimeError(f"the server did not start (exit code {proc.poll()})")
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        proc.kill()
        proc.wait()
