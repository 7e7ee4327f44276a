"""The drivers' common protocol, and the measurements every system goes through alike.

The orchestrator runs ``python -m benchmarks.peers.<name> '<task json>'`` with the system's own
venv, against a scratch database it made for this one task. The driver prints JSON lines on
stdout: one ``{"event": "result", ...}`` with the measurement (and the system's version);
everything else goes to stderr. A task is ``{"phase": ..., "url": ..., ...}``:

* ``insert_one``: ``jobs`` inserts, one call and one commit each;
* ``insert_batch``: ``jobs`` inserts through bulk API ``api``, ``batch`` at a time;
* ``work``: ``jobs`` no-op jobs queued first, then worked by ``processes`` worker processes of
  ``concurrency`` each, until the system's own table counts them all finished;
* ``latency``: an idle worker; ``jobs`` single inserts ``gap_ms`` apart; from each insert's
  commit to its job's start, both read from this machine's clock;
* ``mix``: the realistic mix of :func:`mix_jobs` (for drivers that implement it).

Worker processes run ``python -m benchmarks.peers.<name> --worker '<task json>'``: they import
everything, print one line, wait for a line on stdin, then work until killed. Their CPU time and
peak RSS come from ``/proc``. This module uses only the standard library and psycopg, which
every system's venv has.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import importlib.metadata
import json
import os
import random
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import psycopg

__all__ = ["Driver", "MixJob", "main", "mix_jobs", "record_start"]

ROOT = Path(__file__).resolve().parents[2]
#: The seeds' five queues and their MaxWorkers (riverhost's default queues too).
SEED_QUEUES = {"critical": 20, "high": 15, "default": 10, "low": 5, "bulk": 3}
_POLL_S = 0.01
_CLK_TCK = os.sysconf("SC_CLK_TCK")

# ----------------------------------------------------------------------------- in the worker

_STARTS = os.environ.get("BENCH_STARTS")
_STARTS_ALL = os.environ.get("BENCH_STARTS_ALL") == "1"
_started = False


def record_start(n: int) -> None:
    """Called first thing by every system's job function: note when job ``n`` started.

    Writes ``n time`` to ``$BENCH_STARTS`` for every job when ``BENCH_STARTS_ALL=1`` (latency),
    else only for the first job of the process (when work began); otherwise does nothing.
    """
    global _started
    if _STARTS is None or (_started and not _STARTS_ALL):
        return
    _started = True
    with open(_STARTS, "a") as out:
        out.write(f"{n} {time.time()!r}\n")


@dataclass(frozen=True, slots=True)
class MixJob:
    """One job of the realistic mix: its queue, how long it sleeps, whether it fails once."""

    n: int
    queue: str
    sleep_ms: int
    fail: bool


def mix_jobs(count: int, seed: int = 5) -> list[MixJob]:
    """``count`` jobs over :data:`SEED_QUEUES`, spread in proportion to each queue's workers.

    Each sleeps 1-20 ms (uniform); 5 % fail on their first attempt and succeed on the second.
    """
    rng = random.Random(seed)
    names = list(SEED_QUEUES)
    weights = list(SEED_QUEUES.values())
    return [
        MixJob(n, rng.choices(names, weights)[0], rng.randint(1, 20), rng.random() < 0.05)
        for n in range(count)
    ]


def mix_ideal_s(jobs: Sequence[MixJob]) -> float:
    """The least time the mix can take: the busiest queue's sleep over its worker count."""
    per_queue: dict[str, float] = {}
    for job in jobs:
        per_queue[job.queue] = per_queue.get(job.queue, 0.0) + job.sleep_ms / 1000
    return max(total / SEED_QUEUES[queue] for queue, total in per_queue.items())


# ----------------------------------------------------------------------------- the driver


class Driver(abc.ABC):
    """What a system must do for the common phases; one subclass per system.

    ``finished_sql`` counts finished jobs in the system's own tables and ``inserted_sql`` the
    jobs waiting; ``bulk_apis`` names the bulk insert paths ``insert_batch`` knows.
    """

    package: ClassVar[str]
    finished_sql: ClassVar[str]
    inserted_sql: ClassVar[str]
    bulk_apis: ClassVar[tuple[str, ...]]

    def __init__(self, url: str, task: dict[str, Any]) -> None:
        self.url = url
        self.task = task

    def version(self) -> str:
        return importlib.metadata.version(self.package)

    @abc.abstractmethod
    async def setup(self) -> None:
        """Create the system's schema in the (empty) database."""

    @abc.abstractmethod
    async def open(self) -> None:
        """Open whatever inserting needs (called once after :meth:`setup`)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Close what :meth:`open` opened."""

    @abc.abstractmethod
    async def insert_one(self, n: int) -> None:
        """Insert no-op job ``n`` on its own, committed when this returns."""

    @abc.abstractmethod
    async def insert_batch(self, ns: Sequence[int], api: str) -> None:
        """Insert no-op jobs ``ns`` with bulk API ``api``, committed when this returns."""

    async def backlog(self, ns: Sequence[int]) -> None:
        """Queue the work phase's jobs; by default through the first bulk API."""
        await self.insert_batch(ns, self.bulk_apis[0])

    @abc.abstractmethod
    async def work(self, concurrency: int) -> None:
        """In a worker process: work no-op jobs at ``concurrency`` until killed."""

    async def insert_mix(self, jobs: Sequence[MixJob]) -> None:
        """Insert the realistic mix's jobs."""
        raise NotImplementedError

    async def work_mix(self) -> None:
        """In a worker process: work the mix's five queues until killed."""
        raise NotImplementedError


# ----------------------------------------------------------------------------- measuring


def _emit(**fields: Any) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def _chunks(ns: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for i in range(0, len(ns), size):
        yield ns[i : i + size]


def host_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from ``/proc/stat``."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


class WorkerProcess:
    """One worker process of a driver: started, released with :meth:`go`, measured, killed."""

    def __init__(self, task: dict[str, Any], env: dict[str, str]) -> None:
        module = sys.modules["__main__"].__spec__
        assert module is not None, "drivers run as python -m benchmarks.peers.<name>"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module.name, "--worker", json.dumps(task)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env={**os.environ, **env},
            text=True,
        )
        self.cpu0 = 0.0

    def wait_loaded(self, timeout: float = 60) -> None:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready or not self.proc.stdout.readline():
            raise RuntimeError(f"worker did not load (exit code {self.proc.poll()})")

    def go(self) -> None:
        assert self.proc.stdin is not None
        self.cpu0 = self.cpu_s()
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def cpu_s(self) -> float:
        """User plus system CPU seconds the process has used so far."""
        with open(f"/proc/{self.proc.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLK_TCK

    def peak_rss_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


async def _count(conn: psycopg.AsyncConnection[Any], query: str) -> int:
    cursor = await conn.execute(query)  # type: ignore[arg-type]
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _wait_count(
    driver: Driver, target: int, timeout: float, workers: Sequence[WorkerProcess] = ()
) -> int:
    """Poll the system's finished count until it reaches ``target``; the count is returned."""
    deadline = time.monotonic() + timeout
    async with await psycopg.AsyncConnection.connect(driver.url, autocommit=True) as conn:
        while True:
            done = await _count(conn, driver.finished_sql)
            if done >= target:
                return done
            if time.monotonic() > deadline:
                raise TimeoutError(f"{done} of {target} jobs finished after {timeout:.0f} s")
            if workers and not all(w.alive() for w in workers):
                raise RuntimeError(f"a worker exited with {done} of {target} jobs finished")
            await asyncio.sleep(_POLL_S)


async def _inserted(driver: Driver) -> int:
    async with await psycopg.AsyncConnection.connect(driver.url, autocommit=True) as conn:
        return await _count(conn, driver.inserted_sql)


def _check_inserted(found: int, expected: int) -> None:
    if found != expected:
        raise RuntimeError(f"expected {expected} jobs in the table, found {found}")


async def phase_insert_one(driver: Driver, task: dict[str, Any]) -> dict[str, Any]:
    jobs = int(task["jobs"])
    await driver.open()
    start = time.perf_counter()
    for n in range(jobs):
        await driver.insert_one(n)
    elapsed = time.perf_counter() - start
    await driver.close()
    _check_inserted(await _inserted(driver), jobs)
    return {"jobs": jobs, "jobs_per_s": jobs / elapsed}


async def phase_insert_batch(driver: Driver, task: dict[str, Any]) -> dict[str, Any]:
    jobs, batch, api = int(task["jobs"]), int(task["batch"]), str(task["api"])
    ns = range(jobs)
    await driver.open()
    start = time.perf_counter()
    for chunk in _chunks(ns, batch):
        await driver.insert_batch(chunk, api)
    elapsed = time.perf_counter() - start
    await driver.close()
    _check_inserted(await _inserted(driver), jobs)
    return {"jobs": jobs, "batch": batch, "api": api, "jobs_per_s": jobs / elapsed}


def _read_starts(path: Path) -> dict[int, float]:
    starts: dict[int, float] = {}
    for line in path.read_text().splitlines():
        n, at = line.split()
        starts.setdefault(int(n), float(at))
    return starts


async def _run_workers(
    driver: Driver,
    task: dict[str, Any],
    target: int,
    starts: Path,
    timeout: float,
) -> dict[str, Any]:
    """Start the workers, release them, wait for ``target`` finished jobs, measure them."""
    processes = int(task.get("processes", 1))
    env = {"BENCH_STARTS": str(starts)}
    workers = [WorkerProcess(task, env) for _ in range(processes)]
    try:
        for worker in workers:
            worker.wait_loaded()
        busy0, total0 = host_cpu()
        released = time.time()
        for worker in workers:
            worker.go()
        await _wait_count(driver, target, timeout, workers)
        ended = time.time()
        busy1, total1 = host_cpu()
        cpu_s = sum(w.cpu_s() - w.cpu0 for w in workers)
        rss = max(w.peak_rss_mb() for w in workers)
    finally:
        for worker in workers:
            worker.kill()
    first = min(_read_starts(starts).values())
    return {
        "jobs": target,
        "processes": processes,
        "seconds": ended - first,
        "jobs_per_s": target / (ended - first),
        "jobs_per_s_from_release": target / (ended - released),
        "startup_ms": (first - released) * 1000,
        "cpu_ms_per_1000": cpu_s / target * 1_000_000,
        "peak_rss_mb": rss,
        "host_cpu_busy": (busy1 - busy0) / max(total1 - total0, 1),
    }


async def phase_work(driver: Driver, task: dict[str, Any]) -> dict[str, Any]:
    jobs = int(task["jobs"])
    await driver.open()
    for chunk in _chunks(range(jobs), 5000):
        await driver.backlog(chunk)
    await driver.close()
    _check_inserted(await _inserted(driver), jobs)
    await _settle(driver.url)
    with tempfile.TemporaryDirectory() as folder:
        result = await _run_workers(
            driver, task, jobs, Path(folder) / "starts", float(task.get("timeout", 600))
        )
    return {**result, "concurrency": int(task["concurrency"])}


async def _settle(url: str) -> None:
    """Finish the backlog's index upkeep before the clock starts, for every system alike.

    A bulk insert leaves rows in GIN indexes' pending lists (River's ``args`` and ``metadata``
    indexes have them); whichever later statement finds the list full flushes it, which took
    ~0.7 s and landed in some measured windows and not others (the raw-SQL ceiling measured
    11k jobs/s with 10,000 jobs and 45k with 20,000). VACUUM flushes them now.
    """
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("VACUUM (ANALYZE)")


async def phase_mix(driver: Driver, task: dict[str, Any]) -> dict[str, Any]:
    jobs = mix_jobs(int(task["jobs"]))
    await driver.open()
    for i in range(0, len(jobs), 5000):
        await driver.insert_mix(jobs[i : i + 5000])
    await driver.close()
    await _settle(driver.url)
    with tempfile.TemporaryDirectory() as folder:
        result = await _run_workers(
            driver, task, len(jobs), Path(folder) / "starts", float(task.get("timeout", 600))
        )
    ideal = mix_ideal_s(jobs)
    return {
        **result,
        "failing_once": sum(j.fail for j in jobs),
        "ideal_seconds": ideal,
        "efficiency": ideal / result["seconds"],
    }


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def phase_latency(driver: Driver, task: dict[str, Any]) -> dict[str, Any]:
    jobs, gap = int(task["jobs"]), float(task["gap_ms"]) / 1000
    with tempfile.TemporaryDirectory() as folder:
        starts = Path(folder) / "starts"
        worker = WorkerProcess(
            {**task, "concurrency": 10}, {"BENCH_STARTS": str(starts), "BENCH_STARTS_ALL": "1"}
        )
        try:
            worker.wait_loaded()
            worker.go()
            await driver.open()
            await driver.insert_one(-1)  # the worker is up and idle once this one is done
            await _wait_count(driver, 1, 60, [worker])
            await asyncio.sleep(0.5)
            committed: dict[int, float] = {}
            next_at = time.perf_counter()
            for n in range(jobs):
                await driver.insert_one(n)
                committed[n] = time.time()
                next_at += gap
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            await _wait_count(driver, jobs + 1, 60, [worker])
            await driver.close()
            rss = worker.peak_rss_mb()
        finally:
            worker.kill()
        started = _read_starts(starts)
    latencies = [(started[n] - committed[n]) * 1000 for n in range(jobs)]
    return {
        "jobs": jobs,
        "gap_ms": gap * 1000,
        "p50_ms": _percentile(latencies, 0.5),
        "p99_ms": _percentile(latencies, 0.99),
        "max_ms": max(latencies),
        "min_ms": min(latencies),
        "idle_peak_rss_mb": rss,
    }


PHASES = {
    "insert_one": phase_insert_one,
    "insert_batch": phase_insert_batch,
    "work": phase_work,
    "latency": phase_latency,
    "mix": phase_mix,
}


def _worker(driver: Driver, task: dict[str, Any]) -> None:
    """The worker process: report loaded, wait for the go line, then work until killed."""
    _emit(event="loaded")
    os.dup2(2, 1)  # from here on nothing may block on the parent's unread stdout pipe
    sys.stdin.readline()
    if task["phase"] == "mix":
        asyncio.run(driver.work_mix())
    else:
        asyncio.run(driver.work(int(task["concurrency"])))


def main(driver_class: type[Driver]) -> None:
    """Entry point of every driver module: run one task or be one worker process."""
    args = sys.argv[1:]
    if args[:1] == ["--worker"]:
        task = json.loads(args[1])
        _worker(driver_class(task["url"], task), task)
        return
    task = json.loads(args[0])
    driver = driver_class(task["url"], task)
    phase = PHASES[task["phase"]]

    async def run() -> dict[str, Any]:
        await driver.setup()
        return await phase(driver, task)

    _emit(event="result", version=driver.version(), **asyncio.run(run()))
