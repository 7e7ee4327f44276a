"""Periodic jobs as plugins declare them: a job to insert on a fixed interval or a cron line.

A plugin returns :class:`PeriodicJob` objects from the ``riverhost_periodic_jobs`` hook; the
leader's enqueuer (:mod:`riverhost.maintenance.enqueuer`) inserts one job per tick. Ticks are
aligned to the clock (every ``every`` since the Unix epoch, or the cron line's times in UTC),
so any leader computes the same ticks, and each tick's job carries a unique key made of the
periodic job's id and the tick: a tick fires once across the whole fleet, whichever host leads.
This module does no I/O.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from riverhost.args import InsertOpts, JobArgs, RawArgs
from riverhost.durations import Duration
from riverhost.kinds import KIND_PATTERN

if TYPE_CHECKING:
    from croniter import croniter

__all__ = ["PERIODIC_ID_KEY", "PeriodicJob"]

#: River's metadata key naming the periodic job a job was inserted for.
PERIODIC_ID_KEY = "river:periodic_job_id"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class PeriodicJob(BaseModel):
    """A job inserted every ``every`` or at each time of ``cron`` (give exactly one)."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    id: str = Field(min_length=1, max_length=127, pattern=KIND_PATTERN)
    args: JobArgs | RawArgs
    every: Duration | None = None
    cron: str | None = None
    run_on_start: bool = False
    opts: InsertOpts | None = None

    @field_validator("every")
    @classmethod
    def _at_least_a_second(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value < timedelta(seconds=1):
            raise ValueError(f"must be at least 1s, got {value}")
        return value

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str | None) -> str | None:
        if value is None:
            return None
        # Imported only for cron lines: croniter and dateutil are 2.6 MB of every host's memory.
        from croniter import croniter

        if not croniter.is_valid(value):
            raise ValueError(f"{value!r} is not a cron expression (minute hour day month weekday)")
        return value

    @model_validator(mode="after")
    def _one_schedule(self) -> PeriodicJob:
        if (self.every is None) == (self.cron is None):
            raise ValueError("give exactly one of every (an interval) or cron (a cron line)")
        return self

    @property
    def kind(self) -> str:
        return self.args.kind

    @property
    def schedule(self) -> str:
        """The schedule as written: ``every 5m`` or ``cron */5 * * * *``."""
        from riverhost.durations import format_duration

        return f"every {format_duration(self.every)}" if self.every else f"cron {self.cron}"

    def tick_at_or_before(self, moment: datetime) -> datetime:
        """The latest tick not after ``moment``."""
        if self.every is not None:
            step = self.every // timedelta(microseconds=1)
            since = (moment - _EPOCH) // timedelta(microseconds=1)
            return _EPOCH + timedelta(microseconds=since - since % step)
        previous: datetime = self._cron(moment + timedelta(microseconds=1)).get_prev(datetime)
        return previous.astimezone(UTC)

    def tick_after(self, moment: datetime) -> datetime:
        """The first tick strictly after ``moment``."""
        if self.every is not None:
            return self.tick_at_or_before(moment) + self.every
        following: datetime = self._cron(moment).get_next(datetime)
        return following.astimezone(UTC)

    def _cron(self, start: datetime) -> croniter:
        from croniter import croniter

        assert self.cron is not None  # the model allows no schedule without one or the other
        return croniter(self.cron, start.astimezone(UTC))

    def unique_key(self, tick: datetime) -> bytes:
        """The key that makes the job of ``tick`` exist at most once."""
        text = f"&periodic={self.id}&kind={self.kind}&tick={tick.isoformat()}"
        return hashlib.sha256(text.encode()).digest()

    def metadata(self, tick: datetime) -> dict[str, Any]:
        return {PERIODIC_ID_KEY: self.id, "river:periodic_tick": tick.isoformat()}
