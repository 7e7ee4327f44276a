"""Which PostgreSQL the host uses: the configured URL, or else the embedded server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import structlog

from riverhost.config import DatabaseConfig
from riverhost.db.embedded import EmbeddedPostgres, default_data_dir

__all__ = ["database_url", "redact"]

log = structlog.get_logger("riverhost.db")


@contextmanager
def database_url(config: DatabaseConfig) -> Iterator[str]:
    """Yield the URL to use; an embedded server started here is stopped on exit.

    Raises :class:`~riverhost.errors.DatabaseUnavailableError` saying what to set or install
    when there is neither a URL nor a working embedded server.
    """
    if config.url:
        yield config.url
        return
    data_dir = config.data_dir or default_data_dir()
    with EmbeddedPostgres(data_dir) as url:
        log.info("database.embedded_started", data_dir=str(data_dir))
        yield url


_PASSWORD = re.compile(r"(?P<uri>://[^:/@]*:)[^@]*@|(?P<kw>password\s*=\s*)\S+")


def redact(value: str) -> str:
    """``value`` with any password in a connection URL or string replaced by ``***``."""
    return _PASSWORD.sub(lambda m: f"{m['uri']}***@" if m["uri"] else f"{m['kw']}***", value)
