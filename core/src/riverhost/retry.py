"""Retry policies: how long a failed job waits before its next attempt.

A kind picks one in its :class:`~riverhost.JobKind` declaration; without one it gets River's
default, so a fleet mixing Go River and riverhost backs off alike. The seeds' two backoffs are
here too. The engine asks the policy; this module never touches the database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol, runtime_checkable

__all__ = ["ExponentialBackoff", "LinearBackoff", "RetryPolicy", "RiverDefaultRetry"]


@runtime_checkable
class RetryPolicy(Protocol):
    """Anything that says how long to wait after a failed attempt.

    ``attempt`` is the attempt that just failed (1 for the first); ``error_count`` is the number
    of errors recorded before this one (snoozes do not count, as in River).
    """

    def next_delay(self, *, attempt: int, error_count: int) -> timedelta: ...


@dataclass(frozen=True)
class RiverDefaultRetry:
    """River's default: ``(errors + 1) ** 4`` seconds with ±``jitter`` spread (10 %)."""

    jitter: float = 0.1
    _random: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def next_delay(self, *, attempt: int, error_count: int) -> timedelta:
        base = float((error_count + 1) ** 4)
        spread = base * self.jitter
        return timedelta(seconds=base + self._random.uniform(-spread, spread))


@dataclass(frozen=True)
class ExponentialBackoff:
    """The seeds' ``ExponentialBackoff``: ``min(base * 2 ** attempt, cap)`` (1 s, 1 h)."""

    base: timedelta = timedelta(seconds=1)
    cap: timedelta = timedelta(hours=1)

    def next_delay(self, *, attempt: int, error_count: int) -> timedelta:
        # Past 2**40 seconds the cap has long won; stop the exponent before it overflows.
        return min(self.base * (1 << min(max(attempt, 0), 40)), self.cap)


@dataclass(frozen=True)
class LinearBackoff:
    """The seeds' ``LinearBackoff``: ``min(step * attempt, cap)`` (30 s, 30 min)."""

    step: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(minutes=30)

    def next_delay(self, *, attempt: int, error_count: int) -> timedelta:
        return min(self.step * attempt, self.cap)
