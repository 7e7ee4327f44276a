"""Prometheus metrics of a host process, and the HTTP endpoint that serves them.

The names follow CONVENTIONS.md (``riverhost_jobs_finished_total{kind,queue,outcome}``,
``riverhost_job_duration_seconds``, ``riverhost_queue_jobs{queue,state}``). The engine updates
them as it goes; :func:`serve` exposes them at ``/metrics`` when ``metrics.listen`` is set.
Queue depth is sampled by the leader only, so one host (not every one) pays for the count.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from itertools import accumulate
from typing import Any

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server
from prometheus_client.metrics_core import HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = [
    "COMPLETER_WRITE_SECONDS",
    "FETCH_SECONDS",
    "JOBS_FINISHED",
    "JOBS_RESCUED",
    "JOBS_RUNNING",
    "JOB_DURATION_SECONDS",
    "LEADER",
    "QUEUE_JOBS",
    "JobDurations",
    "report_running",
    "serve",
]

_FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class JobDurations(Collector):
    """``riverhost_job_duration_seconds{kind,queue}``: a histogram the engine fills a batch of
    attempts at a time (:meth:`observe_many`) and the scrape reads.

    prometheus_client's ``Histogram.observe`` takes a lock twice per value; per attempt that
    was a fortieth of a no-op job's cost in the engine.
    """

    BUCKETS = (0.001, 0.01, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 1800.0, 3600.0)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], list[int]] = {}
        self._sums: dict[tuple[str, str], float] = {}

    def observe_many(self, kind: str, queue: str, seconds: Sequence[float]) -> None:
        """Count these attempts' durations for ``kind`` in ``queue``."""
        counts = [0] * (len(self.BUCKETS) + 1)  # the last: above every bound
        for value in seconds:
            counts[bisect_left(self.BUCKETS, value)] += 1
        total = sum(seconds)
        with self._lock:
            kept = self._counts.setdefault((kind, queue), [0] * len(counts))
            for i, count in enumerate(counts):
                kept[i] += count
            self._sums[kind, queue] = self._sums.get((kind, queue), 0.0) + total

    def collect(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(
            "riverhost_job_duration_seconds",
            "How long attempts ran, by kind and queue.",
            labels=["kind", "queue"],
        )
        with self._lock:
            kept = {
                labels: (list(counts), self._sums[labels])
                for labels, counts in self._counts.items()
            }
        bounds = [*(repr(bound) for bound in self.BUCKETS), "+Inf"]  # "le" as Prometheus writes it
        for labels, (counts, total) in kept.items():
            family.add_metric(
                list(labels), list(zip(bounds, accumulate(counts), strict=True)), total
            )
        yield family


JOBS_FINISHED = Counter(
    "riverhost_jobs_finished_total",
    "Attempts finished, by kind, queue and outcome "
    "(completed, failed, discarded, cancelled, snoozed, interrupted).",
    ["kind", "queue", "outcome"],
)


JOB_DURATION_SECONDS = JobDurations()
REGISTRY.register(JOB_DURATION_SECONDS)
JOBS_RUNNING = Gauge("riverhost_jobs_running", "Attempts running now, by queue.", ["queue"])
"""Read at scrape time from the producers (:func:`report_running`), not moved per job."""
QUEUE_JOBS = Gauge(
    "riverhost_queue_jobs",
    "Unfinished jobs by queue and state, as last sampled by the leader.",
    ["queue", "state"],
)
FETCH_SECONDS = Histogram(
    "riverhost_fetch_seconds", "Time of one fetch statement, by queue.", ["queue"], buckets=_FAST
)
COMPLETER_WRITE_SECONDS = Histogram(
    "riverhost_completer_write_seconds", "Time of one completer batch write.", buckets=_FAST
)
JOBS_RESCUED = Counter(
    "riverhost_jobs_rescued_total", "Jobs the rescuer brought back, by reason.", ["reason"]
)
LEADER = Gauge("riverhost_leader", "1 while this host process is the leader, else 0.")

_lock = threading.Lock()
_running: dict[str, list[Callable[[], int]]] = {}


def report_running(queue: str, count: Callable[[], int]) -> Callable[[], None]:
    """Count ``count()`` in ``riverhost_jobs_running{queue}`` at every scrape, summed with the
    queue's other producers in this process, until the returned function is called.

    A gauge moved up and down per job took a lock twice per job on the engine's hot path; a
    scrape is rare.
    """
    with _lock:
        sources = _running.get(queue)
        if sources is None:
            sources = _running[queue] = []
            # tuple(): a snapshot, as the scrape runs in the metrics server's thread.
            JOBS_RUNNING.labels(queue).set_function(lambda: sum(c() for c in tuple(sources)))
        sources.append(count)

    def stop() -> None:
        with _lock:
            sources.remove(count)

    return stop


def serve(listen: str, *, offset: int = 0) -> tuple[Any, int]:
    """Serve ``/metrics`` on ``host:port`` (``port + offset``); returns the server and its port.

    Port 0 picks a free port. The server runs in a daemon thread of its own.
    """
    host, _, port = listen.rpartition(":")
    with _lock:
        server, _thread = start_http_server(int(port) + offset if int(port) else 0, host or "")
    return server, int(server.server_port)
