"""What the host does once the completer has written a batch of outcomes: count metrics,
publish events for what was written, and have producers fetch again when jobs written back
for a moment (retried or snoozed for up to :data:`~riverhost.engine.completer.SOON`) are due.

Counters move once per label set and batch, not once per job: at thousands of jobs a second
the per-job metric calls cost more than the jobs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from riverhost import metrics
from riverhost.engine.completer import SOON, Outcome
from riverhost.engine.producer import Producer
from riverhost.events import Event, EventBus

__all__ = ["OutcomeReport"]

#: What a written outcome means to subscribers, by outcome.
_EVENT_OF_OUTCOME = {
    "completed": "job_completed",
    "discarded": "job_discarded",
    "snoozed": "job_snoozed",
    "retryable": "job_failed",
}


class OutcomeReport:
    """The completer's ``on_written``: see the module docstring."""

    def __init__(self, producers: Mapping[str, Producer], events: EventBus) -> None:
        self._producers = producers
        self._events = events

    def __call__(self, batch: list[Outcome], states: dict[int, str]) -> None:
        finished: Counter[tuple[str, str, str]] = Counter()
        durations: dict[tuple[str, str], list[float]] = {}
        due_soon: dict[str, list[float]] = {}
        publish = self._events.listening
        for outcome in batch:
            state = states.get(outcome.job_id)
            if state is None:
                if not outcome.completed_tx:
                    continue  # no longer running this attempt (rescued, deleted): nothing
                state = "completed"  # the worker's own transaction wrote it
            if state == "available" and outcome.delay is not None and outcome.delay <= SOON:
                due_soon.setdefault(outcome.queue, []).append(outcome.delay.total_seconds())
            label = "cancelled" if state == "cancelled" else outcome.outcome
            label = "failed" if label == "retryable" else label
            finished[outcome.kind, outcome.queue, label] += 1
            durations.setdefault((outcome.kind, outcome.queue), []).append(outcome.duration)
            if not publish:
                continue
            kind = (
                "job_cancelled" if state == "cancelled" else _EVENT_OF_OUTCOME.get(outcome.outcome)
            )
            if kind is not None:
                error = outcome.error["error"] if outcome.error else None
                self._events.publish(
                    Event(
                        kind,
                        outcome.queue,
                        job_id=outcome.job_id,
                        job_kind=outcome.kind,
                        duration_s=outcome.duration,
                        state=state,
                        error=error,
                    )
                )
        for queue, delays in due_soon.items():
            if (producer := self._producers.get(queue)) is not None:
                producer.wake_when_due(delays)
        for labels, count in finished.items():
            metrics.JOBS_FINISHED.labels(*labels).inc(count)
        for (kind, queue), seconds in durations.items():
            metrics.JOB_DURATION_SECONDS.observe_many(kind, queue, seconds)
