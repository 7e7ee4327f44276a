"""Real loopback receivers for the agents: an HTTP server (pytest-httpserver) that records
every request and answers 500 for the paths told to fail, and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import email
import socket
import ssl
import subprocess
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from werkzeug import Request, Response


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records requests; answers ``status`` per path (200 by default, 500 when told)."""

    requests: list[Recorded] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)

    def handle(self, request: Request) -> Response:
        self.requests.append(
            Recorded(
                request.method,
                request.path,
                request.query_string.decode(),
                dict(request.headers),
                request.get_data(),
            )
        )
        if request.path in self.failing:
            return Response('{"error":"Internal Server Error"}', status=500)
        if request.path.startswith("/api/webhooks/"):
            return Response(status=204)  # Discord without ?wait=true
        return Response('{"id": 1}', status=200, content_type="application/json")

    def to(self, path: str) -> list[Recorded]:
        return [each for each in self.requests if each.path == path]


class SmtpCapture:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def self_signed(directory: Path) -> ssl.SSLContext:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def smtp_server(tls_context: ssl.SSLContext | None = None) -> tuple[Controller, SmtpCapture, int]:
    capture, port = SmtpCapture(), free_port()
    controller = Controller(
        capture,
        hostname="127.0.0.1",
        port=port,
        tls_context=tls_context,
        require_starttls=tls_context is not None,
    )
    controller.start()
    return controller, capture, port
