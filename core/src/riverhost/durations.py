"""Durations as people write them (``"100ms"``, ``"5m"``, ``"1h30m"``) and as code holds them.

Config files, environment variables and the CLI carry strings; everything inside riverhost
holds :class:`datetime.timedelta`. :data:`Duration` is the pydantic type that turns one into the
other and writes it back in the same short form. Whether a duration may be zero or negative is
for the key that holds it to say, not this module.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from fractions import Fraction
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

__all__ = ["Duration", "format_duration", "parse_duration"]

_UNIT_MICROS = {
    "us": 1,
    "ms": 1_000,
    "s": 1_000_000,
    "m": 60_000_000,
    "h": 3_600_000_000,
    "d": 86_400_000_000,
}
_NUMBER = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
# Parts may be separated by spaces ("1h 30m"); a number may not ("1 0s" is refused).
_PART = re.compile(rf"({_NUMBER})\s*(us|ms|s|m|h|d)(?![a-z])")
_PARTS = re.compile(rf"(?:{_NUMBER}\s*(?:us|ms|s|m|h|d)(?![a-z])\s*)+")
_FORMS = (
    "a number with a unit such as '100ms', '30s', '5m' or '1h30m' (units us, ms, s, m, h, d), "
    "or a plain number of seconds"
)


def parse_duration(value: object) -> timedelta:
    """Read ``"1h30m"``, ``"100ms"``, ``"2.5s"``, ``"-5s"``, a number of seconds, or a timedelta.

    A bare number (``90``, ``"90"``, ``2.5``) is seconds. Parts may be separated by spaces
    (``"1h 30m"``) but every part needs its unit (``"1h 30"`` is refused). Fractions finer than
    a microsecond are rounded to the nearest one. Raises :class:`ValueError` naming the accepted
    forms, so pydantic reports it with the key.
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):  # bool is an int; True seconds is never meant
        raise ValueError(f"expected a duration: {_FORMS}; got a boolean {value!r}")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"expected a finite duration, got {value!r}")
        return _from_micros(Fraction(value) * _UNIT_MICROS["s"], value)
    if isinstance(value, str):
        text = value.strip()
        sign = -1 if text.startswith("-") else 1
        if text[:1] in ("+", "-"):
            text = text[1:]
        if re.fullmatch(_NUMBER, text):
            return _from_micros(sign * Fraction(text) * _UNIT_MICROS["s"], value)
        if _PARTS.fullmatch(text):
            micros = sum(
                (Fraction(number) * _UNIT_MICROS[unit] for number, unit in _PART.findall(text)),
                Fraction(0),
            )
            return _from_micros(sign * micros, value)
    raise ValueError(f"expected a duration: {_FORMS}; got {value!r}")


def _from_micros(micros: Fraction, given: object) -> timedelta:
    try:
        return timedelta(microseconds=round(micros))
    except OverflowError:
        raise ValueError(f"duration {given!r} is out of range (at most 999999999 days)") from None


def format_duration(value: timedelta) -> str:
    """Write a timedelta in the shortest exact form :func:`parse_duration` reads back."""
    micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    if micros == 0:
        return "0s"
    sign = "-" if micros < 0 else ""
    micros = abs(micros)
    out = []
    for unit, size in sorted(_UNIT_MICROS.items(), key=lambda item: -item[1]):
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
