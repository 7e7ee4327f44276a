"""One sitting: riverhost, its peers and a raw-SQL ceiling, measured alike on one PostgreSQL.

    nox -s bench                  # full: 20,000 jobs, medians of 3 interleaved runs
    nox -s bench -- --quick       # a few minutes: fewer jobs, one run
    nox -s bench -- --systems riverhost chancy --runs 1

Uses ``RIVERHOST_DATABASE_URL`` (a server where it may create databases) or else the embedded
PostgreSQL. Every measurement gets a scratch database of its own, dropped afterwards, and is
run by the system's driver (:mod:`benchmarks.peers`) with the system's own python. Runs are
interleaved (run 1 of every system, then run 2, ...); each figure is the median over runs.
Writes ``benchmarks/results/latest.{json,md,png}``; driver logs go to ``latest.log`` there.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from benchmarks import report
from benchmarks.venvs import peer_python

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class System:
    """A system under test: its driver module, its venv (``None``: this one) and its extras."""

    name: str
    module: str
    venv: str | None = None
    task: dict[str, Any] = field(default_factory=dict)
    bulk_apis: tuple[str, ...] = ()
    ladder: tuple[int, ...] | None = None  # None: the sitting's ladder
    processes: tuple[int, ...] = ()  # extra process counts, at the best concurrency
    latency: bool = True
    mix: bool = True


SYSTEMS = [
    System("riverhost", "riverhost", bulk_apis=("insert_many", "copy"), processes=(2, 4)),
    System("procrastinate", "procrastinate", "procrastinate", bulk_apis=("batch_defer_async",)),
    System(
        "pgqueuer-psycopg",
        "pgqueuer",
        "pgqueuer",
        {"pg_driver": "psycopg"},
        bulk_apis=("enqueue(lists)",),
    ),
    System(
        "pgqueuer-asyncpg",
        "pgqueuer",
        "pgqueuer",
        {"pg_driver": "asyncpg"},
        bulk_apis=("enqueue(lists)",),
    ),
    System("chancy", "chancy", "chancy", bulk_apis=("push_many",)),
    System("ceiling", "ceiling", bulk_apis=("copy",), ladder=(500,), latency=False, mix=False),
]


def _options(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small numbers and one run")
    parser.add_argument("--runs", type=int, help="runs per measurement (3; quick: 1)")
    parser.add_argument("--jobs", type=int, help="jobs per work run (20000; quick: 3000)")
    parser.add_argument("--insert-jobs", type=int, help="one-at-a-time inserts (2000; quick: 300)")
    parser.add_argument("--bulk-jobs", type=int, help="bulk inserts (20000; quick: 5000)")
    parser.add_argument("--batch", type=int, default=1000, help="jobs per bulk call (1000)")
    parser.add_argument("--latency-jobs", type=int, help="latency jobs (200; quick: 50)")
    parser.add_argument("--gap-ms", type=float, default=20, help="between latency jobs (20)")
    parser.add_argument(
        "--ladder", type=int, nargs="+", help="concurrencies (10 50 100 200 500 1000)"
    )
    parser.add_argument(
        "--mix-jobs", type=int, help="jobs of the realistic mix (5000; quick: 2000)"
    )
    parser.add_argument(
        "--mix-peers", action=argparse.BooleanOptionalAction, default=True, help="mix for peers too"
    )
    parser.add_argument(
        "--systems", nargs="+", choices=[s.name for s in SYSTEMS], help="a subset of systems"
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds per measurement")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where results go")
    options = parser.parse_args(argv)
    quick = options.quick
    defaults = {
        "runs": 1 if quick else 3,
        "jobs": 3000 if quick else 20_000,
        "insert_jobs": 300 if quick else 2000,
        "bulk_jobs": 5000 if quick else 20_000,
        "latency_jobs": 50 if quick else 200,
        "ladder": [10, 50, 100, 200, 500, 1000],
        "mix_jobs": 2000 if quick else 5000,
    }
    for name, value in defaults.items():
        if getattr(options, name) is None:
            setattr(options, name, value)
    return options


# ----------------------------------------------------------------------------- the database


@contextlib.contextmanager
def server_url() -> Iterator[str]:
    """``RIVERHOST_DATABASE_URL``, or an embedded server for the sitting."""
    url = os.environ.get("RIVERHOST_DATABASE_URL")
    if url:
        yield url
        return
    from riverhost.db.embedded import EmbeddedPostgres

    with (
        tempfile.TemporaryDirectory() as folder,
        EmbeddedPostgres(Path(folder) / "pg", delete=True) as embedded,
    ):
        yield embedded


@contextlib.contextmanager
def scratch_database(server: str, system: str) -> Iterator[str]:
    """A fresh database on ``server`` for one measurement, dropped afterwards."""
    name = f"bench_{system.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_conninfo(server, dbname=name)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def describe_machine(server: str) -> dict[str, Any]:
    """Cores, RAM, CPU model, PostgreSQL version and durability settings, Python."""
    meminfo = Path("/proc/meminfo").read_text().split()
    ram_gib = int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024**2
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    with psycopg.connect(server, autocommit=True) as conn:
        settings = {
            name: conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()[0]  # type: ignore[index]
            for name in ("server_version", "fsync", "synchronous_commit", "shared_buffers")
        }
        local = conn.info.host in (
            "",
            "localhost",
            "127.0.0.1",
            "::1",
        ) or conn.info.host.startswith("/")
    return {
        "cores": os.cpu_count(),
        "ram_gib": round(ram_gib, 1),
        "cpu": model,
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": settings.pop("server_version"),
        "postgresql_settings": settings,
        "postgresql_on": "this machine (loopback)" if local else "another host",
        "database": "RIVERHOST_DATABASE_URL"
        if os.environ.get("RIVERHOST_DATABASE_URL")
        else "embedded",
    }


# ----------------------------------------------------------------------------- running drivers


class Sitting:
    """Runs drivers, keeps every result by system and measurement, logs their stderr."""

    def __init__(self, server: str, options: argparse.Namespace, log: IO[str]) -> None:
        self.server = server
        self.options = options
        self.log = log
        self.results: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self.errors: dict[str, list[str]] = {}
        self.versions: dict[str, str] = {}
        self._pythons: dict[str | None, Path] = {None: Path(sys.executable)}

    def python(self, venv: str | None) -> Path:
        if venv not in self._pythons:
            assert venv is not None
            self._pythons[venv] = peer_python(venv)
        return self._pythons[venv]

    def measure(self, system: System, key: str, task: dict[str, Any]) -> dict[str, Any] | None:
        """Run one task in a scratch database; the result, or ``None`` after an error."""
        started = time.monotonic()
        result = None
        try:
            with scratch_database(self.server, system.name) as url:
                full = {**system.task, **task, "url": url, "timeout": self.options.timeout}
                result = self._run_driver(system, full)
        except Exception as exc:  # noqa: BLE001 - a failed measurement is reported, not fatal
            message = f"{key}: {exc}"
            self.errors.setdefault(system.name, []).append(message)
            _say(f"  {system.name:17} {key:24} ERROR {exc}")
            return None
        self.versions[system.name] = str(result.pop("version"))
        self.results.setdefault(system.name, {}).setdefault(key, []).append(result)
        _say(
            f"  {system.name:17} {key:24} {_headline(result):>26}"
            f"   ({time.monotonic() - started:.1f} s)"
        )
        return result

    def _run_driver(self, system: System, task: dict[str, Any]) -> dict[str, Any]:
        self.log.write(f"\n===== {system.name} {json.dumps({**task, 'url': '...'})}\n")
        self.log.flush()
        position = self.log.tell()
        completed = subprocess.run(
            [
                str(self.python(system.venv)),
                "-m",
                f"benchmarks.peers.{system.module}",
                json.dumps(task),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            timeout=float(task["timeout"]) + 120,
            check=False,
        )
        results = [
            json.loads(line)
            for line in completed.stdout.splitlines()
            if line.startswith("{") and '"event": "result"' in line
        ]
        if completed.returncode != 0 or not results:
            self.log.flush()
            with open(self.log.name) as written:
                written.seek(position)
                tail = [line for line in written.read().splitlines() if line.strip()][-1:]
            raise RuntimeError(f"driver exited {completed.returncode}: {' '.join(tail)[:300]}")
        result: dict[str, Any] = results[-1]
        result.pop("event")
        return result


def _headline(result: dict[str, Any]) -> str:
    if "p50_ms" in result:
        return f"p50 {result['p50_ms']:.1f} / p99 {result['p99_ms']:.1f} ms"
    return f"{result['jobs_per_s']:,.0f} jobs/s"


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_system(sitting: Sitting, system: System) -> None:
    """Every measurement of one system, once."""
    o = sitting.options
    sitting.measure(system, "insert_one", {"phase": "insert_one", "jobs": o.insert_jobs})
    for api in system.bulk_apis:
        sitting.measure(
            system,
            f"insert_batch:{api}",
            {"phase": "insert_batch", "jobs": o.bulk_jobs, "batch": o.batch, "api": api},
        )
    best: tuple[float, int] = (-1.0, 10)
    for concurrency in system.ladder or o.ladder:
        result = sitting.measure(
            system,
            f"work:c{concurrency}",
            {"phase": "work", "jobs": o.jobs, "concurrency": concurrency},
        )
        if result is not None:
            best = max(best, (result["jobs_per_s"], concurrency))
    for processes in system.processes:
        sitting.measure(
            system,
            f"work:p{processes}",
            {"phase": "work", "jobs": o.jobs, "concurrency": best[1], "processes": processes},
        )
    if system.latency:
        sitting.measure(
            system, "latency", {"phase": "latency", "jobs": o.latency_jobs, "gap_ms": o.gap_ms}
        )
    if system.mix and (o.mix_peers or system.name == "riverhost"):
        sitting.measure(system, "mix", {"phase": "mix", "jobs": o.mix_jobs})


def medians(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Field by field, the median of the numbers over runs (other values: the first run's)."""
    out: dict[str, Any] = {}
    for name, value in runs[0].items():
        numbers = [r[name] for r in runs if isinstance(r.get(name), int | float)]
        if isinstance(value, int | float) and not isinstance(value, bool) and numbers:
            out[name] = statistics.median(numbers)
        else:
            out[name] = value
    return out


def main(argv: Sequence[str] | None = None) -> None:
    options = _options(argv)
    systems = [s for s in SYSTEMS if not options.systems or s.name in options.systems]
    options.out.mkdir(parents=True, exist_ok=True)
    began = time.time()
    with server_url() as server, open(options.out / "latest.log", "w") as log:
        machine = describe_machine(server)
        sitting = Sitting(server, options, log)
        for system in systems:  # make the venvs before the clock matters
            sitting.python(system.venv)
        for run in range(options.runs):
            _say(f"bench: run {run + 1} of {options.runs}")
            for system in systems:
                run_system(sitting, system)
    data = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(began)),
        "duration_s": round(time.time() - began, 1),
        "machine": machine,
        "options": {
            name: str(value) if isinstance(value, Path) else value
            for name, value in vars(options).items()
        },
        "systems": {
            system.name: {
                "version": sitting.versions.get(system.name),
                "measurements": {
                    key: {"median": medians(runs), "runs": runs}
                    for key, runs in sitting.results.get(system.name, {}).items()
                },
                "errors": sitting.errors.get(system.name, []),
            }
            for system in systems
        },
    }
    data["summary"] = report.summarize(data)
    (options.out / "latest.json").write_text(json.dumps(data, indent=1) + "\n")
    (options.out / "latest.md").write_text(report.markdown(data))
    report.chart(data, options.out / "latest.png")
    print(report.text(data))


if __name__ == "__main__":
    main()
