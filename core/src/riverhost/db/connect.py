"""Which PostgreSQL the host uses: the configured URL, or else the embedded server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from riverhost.config import DatabaseConfig
from riverhost.db.embedded import EmbeddedPostgres, default_data_dir
from riverhost.logging import get_logger

__all__ = ["database_url"]

log = get_logger("riverhost.db")


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
