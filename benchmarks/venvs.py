"""One venv per peer, made with ``uv`` (or ``venv`` + pip) from PyPI, reused while unchanged.

Each peer lives apart from riverhost and from the other peers, so no system runs on another's
dependency versions. The venvs sit in ``.nox/bench-peer-<name>`` beside nox's own.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["PEER_REQUIREMENTS", "peer_python"]

ROOT = Path(__file__).resolve().parent.parent
#: What each peer's venv holds: the release measured and the driver it needs.
PEER_REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "procrastinate": ("procrastinate==3.10.0",),
    "pgqueuer": ("pgqueuer==1.6.0", "asyncpg", "psycopg[binary]"),
    "chancy": ("chancy==0.26.0",),
}
_MARKER = "bench-requirements.txt"


def peer_python(name: str) -> Path:
    """The python of peer ``name``'s venv, made (or remade, if its requirements changed) first."""
    venv = ROOT / ".nox" / f"bench-peer-{name}"
    python = venv / "bin" / "python"
    wanted = "\n".join(PEER_REQUIREMENTS[name]) + "\n"
    marker = venv / _MARKER
    if python.exists() and marker.exists() and marker.read_text() == wanted:
        return python
    print(f"bench: making the {name} venv in {venv}", file=sys.stderr, flush=True)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    uv = shutil.which("uv")
    if uv:
        subprocess.run([uv, "venv", "-q", "--clear", "--python", version, str(venv)], check=True)
        install = [uv, "pip", "install", "-q", "--python", str(python)]
    else:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        install = [str(python), "-m", "pip", "install", "-q"]
    subprocess.run([*install, *PEER_REQUIREMENTS[name]], check=True)
    marker.write_text(wanted)
    return python
