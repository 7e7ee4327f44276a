"""Periodic schedules on their own: ticks of an interval and of a cron line, and what a
plugin is told when it declares one wrongly. No database: the enqueuer's tests run those."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from riverhost import PeriodicJob, RawArgs

NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def periodic(**schedule) -> PeriodicJob:
    return PeriodicJob(id="nightly", args=RawArgs("report", {}), **schedule)


def test_a_cron_tick_is_its_own_latest_tick_and_the_next_is_strictly_after():
    nightly = periodic(cron="30 2 * * *")
    tick = datetime(2026, 11, 30, 2, 30, tzinfo=UTC)

    assert nightly.tick_at_or_before(tick) == tick
    assert nightly.tick_at_or_before(tick - timedelta(microseconds=1)) == tick - timedelta(days=1)
    assert nightly.tick_after(tick) == tick + timedelta(days=1)
    assert nightly.tick_after(tick - timedelta(microseconds=1)) == tick


def test_cron_lines_are_read_in_utc_whatever_zone_the_moment_is_in():
    nightly = periodic(cron="30 2 * * *")
    paris = timezone(timedelta(hours=1))

    latest = nightly.tick_at_or_before(datetime(2026, 11, 30, 3, 30, tzinfo=paris))

    assert latest == datetime(2026, 11, 30, 2, 30, tzinfo=UTC)
    assert latest.tzinfo == UTC


def test_interval_ticks_are_aligned_to_the_epoch_so_every_leader_computes_the_same():
    every_5m = periodic(every="5m")
    moment = NOON + timedelta(minutes=7, seconds=13)

    assert every_5m.tick_at_or_before(moment) == NOON + timedelta(minutes=5)
    assert every_5m.tick_at_or_before(NOON) == NOON
    assert every_5m.tick_after(NOON) == NOON + timedelta(minutes=5)


def test_the_schedule_reads_as_written():
    assert periodic(every="5m").schedule == "every 5m"
    assert periodic(cron="*/15 * * * *").schedule == "cron */15 * * * *"


def test_each_tick_has_a_key_of_its_own_and_says_which_periodic_job_it_is():
    every_5m = periodic(every="5m")
    later = NOON + timedelta(minutes=5)

    assert every_5m.unique_key(NOON) != every_5m.unique_key(later)
    assert every_5m.unique_key(NOON) == periodic(every="5m").unique_key(NOON)
    assert every_5m.metadata(NOON) == {
        "river:periodic_job_id": "nightly",
        "river:periodic_tick": "2026-11-30T12:00:00+00:00",
    }


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ({"every": "500ms"}, "every\n  Value error, must be at least 1s, got 0:00:00.500000"),
        ({"cron": "61 * * * *"}, "cron\n  Value error, '61 * * * *' is not a cron expression"),
        ({}, "give exactly one of every (an interval) or cron (a cron line)"),
        ({"every": "1m", "cron": "* * * * *"}, "give exactly one of every"),
    ],
)
def test_a_bad_schedule_is_refused_saying_what_and_where(schedule, message):
    with pytest.raises(ValidationError) as caught:
        periodic(**schedule)

    assert message in str(caught.value)
