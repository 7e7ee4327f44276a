"""Prometheus metrics of a host process, and the HTTP endpoint that serves them.

The names follow CONVENTIONS.md (``riverhost_jobs_finished_total{kind,queue,outcome}``,
``riverhost_job_duration_seconds``, ``riverhost_queue_jobs{queue,state}``). The engine updates
them as it goes; :func:`serve` exposes them at ``/metrics`` when ``metrics.listen`` is set.
Queue depth is sampled by the leader only, so one host (not every one) pays for the count.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from prometheus_client import Counter, Gauge, Histogram, start_http_server

__all__ = [
    "COMPLETER_WRITE_SECONDS",
    "FETCH_SECONDS",
    "JOBS_FINISHED",
    "JOBS_RESCUED",
    "JOBS_RUNNING",
    "JOB_DURATION_SECONDS",
    "LEADER",
    "QUEUE_JOBS",
    "report_running",
    "serve",
]

_FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

JOBS_FINISHED = Counter(
    "riverhost_jobs_finished_total",
    "Attempts finished, by kind, queue and outcome "
    "(completed, failed, discarded, cancelled, snoozed, interrupted).",
    ["kind", "queue", "outcome"],
)
JOB_DURATION_SECONDS = Histogram(
    "riverhost_job_duration_seconds",
    "How long attempts ran, by kind and queue.",
    ["kind", "queue"],
    buckets=(0.001, 0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600),
)
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
