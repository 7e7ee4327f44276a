"""Durations as people write them (``"100ms"``, ``"5m"``, ``"1h30m"``) and as code holds them.

Config files, environment variables and the CLI carry strings; everything inside riverhost
holds :class:`datetime.timedelta`. :data:`Duration` is the pydantic type that turns one into the
other and writes it back in the same short form.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

__all__ = ["Duration", "format_duration", "parse_duration"]

_UNITS = {
    "us": timedelta(microseconds=1),
    "ms": timedelta(milliseconds=1),
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
}
_PART = re.compile(r"(\d+(?:\.\d+)?)(us|ms|s|m|h|d)")


def parse_duration(value: object) -> timedelta:
    """Read ``"1h30m"``, ``"100ms"``, ``"2.5s"``, a number of seconds, or a timedelta.

    Raises :class:`ValueError` naming the accepted forms, so pydantic reports it with the key.
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):  # bool is an int; True seconds is never meant
        raise ValueError("expected a duration such as '30s', '100ms' or '5m', not a boolean")
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        sign = -1 if text.startswith("-") else 1
        text = text.lstrip("+-")
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            return sign * timedelta(seconds=float(text))
        parts = _PART.findall(text)
        if parts and "".join(number + unit for number, unit in parts) == text:
            return sign * sum((_UNITS[unit] * float(number) for number, unit in parts), timedelta())
    raise ValueError(
        f"expected a duration such as '30s', '100ms', '5m' or '1h30m', got {value!r}"
    )


def format_duration(value: timedelta) -> str:
    """Write a timedelta in the shortest exact form :func:`parse_duration` reads back."""
    micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    if micros == 0:
        return "0s"
    sign = "-" if micros < 0 else ""
    micros = abs(micros)
    out = []
    for unit, size in (("d", 86_400_000_000), ("h", 3_600_000_000), ("m", 60_000_000),
                       ("s", 1_000_000), ("ms", 1_000), ("us", 1)):
        count, micros = divmod(micros, size)
        if count:
            out.append(f"{count}{unit}")
    return sign + "".join(out)


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""A timedelta that config, env and CLI may give as ``"100ms"``, ``"5m"``, ``"1h30m"``."""
