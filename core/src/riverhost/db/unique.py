"""River's unique-job keys, computed byte for byte the way Go River computes them.

A unique job carries ``unique_key`` (SHA-256 of a canonical string) and ``unique_states`` (a
``bit(8)`` mask); River's partial unique index ``river_job_unique_idx`` does the rest. The
string is ``&kind=K&args={…}&period=T&queue=Q`` with each part present only when its option is
set (River's ``internal/dbunique``). Args are the top-level keys of the encoded args, sorted
byte-wise, each value encoded as Go's ``encoding/json`` would encode it, so a Python insert and
a Go insert of the same job collide as they should.

Where keys can still differ from Go's is listed in the README (River compatibility). This
module does no I/O.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from riverhost.kinds import UNIQUE_DEFAULT_STATES, JobState, UniqueOpts

__all__ = [
    "go_json",
    "unique_key",
    "unique_key_string",
    "unique_states_bitmask",
    "unique_states_bits",
]

#: Bit position of each state in River's mask (``rivershared/uniquestates``); 0 is leftmost.
_STATE_BIT = {
    JobState.AVAILABLE: 7,
    JobState.CANCELLED: 6,
    JobState.COMPLETED: 5,
    JobState.DISCARDED: 4,
    JobState.PENDING: 3,
    JobState.RETRYABLE: 2,
    JobState.RUNNING: 1,
    JobState.SCHEDULED: 0,
}
#: Seconds from Go's zero time (0001-01-01 UTC) to the Unix epoch: Go truncates from there.
_GO_ZERO_OFFSET = 62_135_596_800
_MICROS = 1_000_000
_GO_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def unique_states_bitmask(states: Iterable[JobState] | None) -> int:
    """River's byte for ``states`` (``None`` means River's default: 0xF5)."""
    chosen = UNIQUE_DEFAULT_STATES if states is None else states
    mask = 0
    for state in chosen:
        mask |= 1 << (7 - _STATE_BIT[JobState(state)])
    return mask


def unique_states_bits(states: Iterable[JobState] | None) -> str:
    """The ``bit(8)`` literal of :func:`unique_states_bitmask`, as PostgreSQL reads it."""
    return format(unique_states_bitmask(states), "08b")


def unique_key_string(
    *,
    kind: str,
    queue: str,
    encoded_args: Mapping[str, object],
    opts: UniqueOpts,
    now: datetime,
    scheduled_at: datetime | None = None,
    unique_fields: Sequence[str] | None = None,
) -> str:
    """The string River hashes: ``&kind=…&args=…&period=…&queue=…``.

    ``encoded_args`` is the args object as it is inserted. ``unique_fields``, when given, are
    the keys that alone make up ``args`` (River's ``river:"unique"`` fields); keys absent from
    the args are skipped. The period bucket starts from ``scheduled_at`` or ``now``.
    """
    parts = []
    if not opts.exclude_kind:
        parts.append(f"&kind={kind}")
    if opts.by_args:
        keys = unique_fields if unique_fields else encoded_args.keys()
        chosen = sorted((k for k in keys if k in encoded_args), key=lambda k: k.encode())
        body = ",".join(f"{go_json(k)}:{go_json(encoded_args[k])}" for k in chosen)
        parts.append(f"&args={{{body}}}")
    if opts.by_period is not None:
        parts.append(f"&period={_period_start(scheduled_at or now, opts.by_period)}")
    if opts.by_queue:
        parts.append(f"&queue={queue}")
    return "".join(parts)


def unique_key(key_string: str) -> bytes:
    """The 32-byte ``unique_key`` column value: SHA-256 of :func:`unique_key_string`'s text."""
    return hashlib.sha256(key_string.encode()).digest()


def _period_start(moment: datetime, period: timedelta) -> str:
    """``moment`` truncated to ``period`` the way Go's ``Time.Truncate`` does, in UTC RFC 3339.

    Go counts multiples of the period from its zero time (year 1), not from 1970; for periods
    that do not divide a day the two differ, and Go's is the one River's keys use.
    """
    if moment.tzinfo is None:
        raise ValueError("the period of a unique job needs an aware datetime, got a naive one")
    step = period // timedelta(microseconds=1)
    since_zero = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    since_zero += _GO_ZERO_OFFSET * _MICROS
    start = since_zero - since_zero % step - _GO_ZERO_OFFSET * _MICROS
    stamp = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=start)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def go_json(value: object) -> str:
    """``value`` encoded as Go's ``encoding/json`` ``Marshal`` would encode it.

    Compact; strings keep non-ASCII as UTF-8 and escape ``<``, ``>``, ``&``, U+2028 and U+2029;
    floats in Go's shortest form (``2`` for 2.0, ``1e+21``, ``1e-7``). Object keys keep their
    order, as Go keeps a struct's field order.
    """
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, str):
        return _go_string(value)
    if isinstance(value, Mapping):
        items = ",".join(f"{_go_string(str(k))}:{go_json(v)}" for k, v in value.items())
        return f"{{{items}}}"
    if isinstance(value, list | tuple):
        return f"[{','.join(go_json(item) for item in value)}]"
    raise TypeError(f"cannot encode {type(value).__name__} as JSON: {value!r:.60}")


def _go_string(text: str) -> str:
    out = ['"']
    for char in text:
        if char in _GO_ESCAPES:
            out.append(_GO_ESCAPES[char])
        elif char < " ":
            out.append(f"\\u{ord(char):04x}")
        elif "\ud800" <= char <= "\udfff":  # a lone surrogate: Go writes the replacement char
            out.append("\ufffd")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _go_float(number: float) -> str:
    if not math.isfinite(number):
        raise ValueError(f"JSON has no representation for {number}")
    if number == 0:
        return "-0" if math.copysign(1, number) < 0 else "0"
    shortest = Decimal(repr(number))
    if 1e-6 <= abs(number) < 1e21:
        return format(shortest.normalize(), "f")
    sign, digits, exponent = shortest.as_tuple()
    assert isinstance(exponent, int)
    mantissa = "".join(map(str, digits)).rstrip("0") or "0"
    power = exponent + len(digits) - 1
    head = mantissa[0] + (f".{mantissa[1:]}" if len(mantissa) > 1 else "")
    return f"{'-' if sign else ''}{head}e{'-' if power < 0 else '+'}{abs(power):02d}".replace(
        "e-0", "e-"
    )
