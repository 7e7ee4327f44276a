"""A bounded soak: a fleet of ``riverhost run`` hosts under a steady overload, one host killed
every minute, then an audit of the job table and of the hosts' memory.

    python -m benchmarks.soak                      # 10 minutes, 2 hosts x 2 processes
    python -m benchmarks.soak --minutes 3 --hosts 3 --processes 1
    nox -s soak -- --minutes 3                     # the same in a venv made for it

Uses ``RIVERHOST_DATABASE_URL`` (a server where it may create a scratch database, dropped
afterwards) or else the embedded PostgreSQL; ``--database-url`` uses that database as it is
(the CI test passes its own). Needs ``hatchling`` (``core[test]``): the soak's plugin,
``benchmarks/soak_plugin``, is built into a wheel at start-up and unpacked onto the hosts'
``PYTHONPATH``, as the tests do with their throwaway plugins.

What happens:

1. The hosts start (``--hosts``, each ``riverhost run --processes N``, short maintenance
   intervals so a dead host's jobs are rescued within seconds).
2. For ``--minutes``, an inserter thread inserts ``--rate`` jobs a second, spread over the five
   default queues, and keeps every id the database returned. The jobs sleep 1-20 ms; on each
   attempt some fail (``SoakFailure``) and some overrun their kind's timeout. The rate is meant
   to be above what the queues drain, so a backlog builds (the samples show it).
3. Every ``--kill-every`` seconds one host's whole process group is SIGKILLed (a machine dying
   mid-batch) and started again. Host 0 is spared when there are two or more, so one host's
   memory is watched for the whole run.
4. Inserting stops; the hosts drain the backlog (up to ``--drain-timeout``); they get SIGTERM.
5. The audit: every id the inserter was given is in ``river_job`` exactly once and no other row
   is; nothing is ``running``; nothing is left unfinished; every job's work ran once, or more
   often only when a rescue explains it (the plugin witnesses each successful run); every host
   stopped cleanly on SIGTERM. Failures injected, timeouts and rescues are counted from the
   ``errors`` arrays and ``metadata['river:rescue_count']``.

Every few seconds the RSS of each host's processes (``/proc/<pid>/status`` ``VmRSS``, the
supervisor and its engine processes) is sampled; each host life reports its RSS after a warm-up
and at the end, flagging growth over 20 %.

Prints a summary and writes ``benchmarks/results/soak-latest.json`` (``--out``). Exits 1 if the
audit fails.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import psycopg

from benchmarks.bench import describe_machine, scratch_database, server_url

RESULTS = Path(__file__).resolve().parent / "results"
PLUGIN = Path(__file__).resolve().parent / "soak_plugin"

#: The five default queues with the seeds' worker counts; inserted jobs are spread over them in
#: that proportion, so every queue is overloaded alike and the backlog drains on all of them.
QUEUES = {"critical": 20, "high": 15, "default": 10, "low": 5, "bulk": 3}
MAX_ATTEMPTS = 6  # as the plugin declares; the row's value is the one the engine obeys
FAIL_RATE = 0.05  # per attempt: SoakFailure, retried
HANG_RATE = 0.01  # per attempt: sleeps past the kind's 250 ms timeout
#: Maintenance settings for the hosts: a killed host's jobs are rescued within seconds.
HOST_SETTINGS = {
    "RIVERHOST_MAINTENANCE__HEARTBEAT_INTERVAL": "500ms",
    "RIVERHOST_MAINTENANCE__HOST_LAPSE": "3s",
    "RIVERHOST_MAINTENANCE__RESCUE_INTERVAL": "1s",
    "RIVERHOST_MAINTENANCE__RESCUE_MARGIN": "5s",
    "RIVERHOST_MAINTENANCE__CLEAN_INTERVAL": "10s",
    # The audit needs every row: keep finalized jobs far longer than any soak.
    "RIVERHOST_MAINTENANCE__RETENTION__COMPLETED": "24h",
    "RIVERHOST_MAINTENANCE__RETENTION__CANCELLED": "24h",
    "RIVERHOST_MAINTENANCE__RETENTION__DISCARDED": "24h",
    "RIVERHOST_JOBS__SHUTDOWN_TIMEOUT": "10s",
    "RIVERHOST_LOAD_PLUGINS": "soak",
}
WARM_UP = 20.0  # seconds of a host's life before its "start" RSS is taken
RSS_GROWTH_LIMIT = 0.20
FINAL_STATES = ("completed", "discarded", "cancelled")


def _options(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10, help="inserting time (10)")
    parser.add_argument("--hosts", type=int, default=2, help="riverhost run hosts (2)")
    parser.add_argument("--processes", type=int, default=2, help="engine processes a host (2)")
    parser.add_argument(
        "--rate",
        type=float,
        default=2800,
        help="jobs inserted a second (2800: above what 2 x 2 processes drain on 2 cores)",
    )
    parser.add_argument(
        "--kill-every", type=float, default=60, help="seconds between host kills (60)"
    )
    parser.add_argument("--sample-every", type=float, default=3, help="seconds between samples")
    parser.add_argument(
        "--scale-workers",
        type=int,
        default=1,
        help="multiply each queue's workers (1: the seeds'; 10 or more gives queues of 200+, "
        "which fetch a backlog with two fetchers)",
    )
    parser.add_argument(
        "--drain-timeout", type=float, help="seconds to wait for the backlog (the insert time)"
    )
    parser.add_argument("--database-url", help="use this database as it is (no scratch one)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the job mix")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (host logs)")
    parser.add_argument(
        "--out", type=Path, default=RESULTS / "soak-latest.json", help="where the JSON goes"
    )
    options = parser.parse_args(argv)
    if options.hosts < 1 or options.processes < 1 or options.rate <= 0 or options.scale_workers < 1:
        parser.error("--hosts, --processes, --rate and --scale-workers must be positive")
    if options.drain_timeout is None:
        options.drain_timeout = max(60.0, options.minutes * 60)
    return options


def _say(text: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- the plugin


def build_plugin(folder: Path) -> Path:
    """Build ``benchmarks/soak_plugin`` with hatchling and unpack it (what installing does)."""
    try:
        import hatchling.build
    except ImportError:
        sys.exit("the soak builds its plugin with hatchling: run it in a venv with core[test]")
    wheels = folder / "wheels"
    wheels.mkdir()
    with contextlib.chdir(PLUGIN):
        wheel = wheels / hatchling.build.build_wheel(str(wheels))
    site = folder / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


# ----------------------------------------------------------------------------- the hosts


def _outlivers(pgid: int, *, grace: float) -> dict[int, int]:
    """:func:`group_rss` of the processes of group ``pgid`` still alive after ``grace`` s."""
    deadline = time.monotonic() + grace
    while (alive := group_rss(pgid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


def group_rss(pgid: int) -> dict[int, int]:
    """VmRSS in KiB of every live process in process group ``pgid``, by pid."""
    found: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            for line in Path(entry.path, "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    found[int(entry.name)] = int(line.split()[1])
        except (OSError, IndexError, ValueError):  # gone meanwhile, or a zombie
            continue
    return found


@dataclass
class Life:
    """One run of a host, from start to kill or stop, with its RSS samples."""

    name: str
    pid: int
    log: Path
    started: float
    samples: list[tuple[float, int, dict[int, int]]] = field(default_factory=list)
    ended: str = "running"  # killed | stopped (exit code) | running
    exit_code: int | None = None

    def client_ids(self) -> list[str]:
        """The engine processes' client ids (what they write into ``attempted_by``)."""
        ids = []
        with contextlib.suppress(OSError):
            for line in self.log.read_text(errors="replace").splitlines():
                if '"host.running"' in line:
                    with contextlib.suppress(ValueError):
                        ids.append(json.loads(line)["client_id"])
        return ids

    def report(self) -> dict[str, Any]:
        lived = (self.samples[-1][0] - self.started) if self.samples else 0.0
        warm = [s for s in self.samples if s[0] - self.started >= WARM_UP] or self.samples
        out: dict[str, Any] = {
            "life": self.name,
            "pid": self.pid,
            "ended": self.ended,
            "exit_code": self.exit_code,
            "lived_s": round(lived, 1),
            "samples": len(self.samples),
        }
        if warm:
            (t0, start, _), (t1, end, procs) = warm[0], warm[-1]
            growth = (end - start) / start if start else 0.0
            out |= {
                "rss_start_kib": start,
                "rss_start_at_s": round(t0 - self.started, 1),
                "rss_end_kib": end,
                "rss_end_at_s": round(t1 - self.started, 1),
                "rss_peak_kib": max(s[1] for s in self.samples),
                "rss_growth": round(growth, 3),
                # Judged only over a minute or more past the warm-up: less is noise.
                "rss_growth_flagged": t1 - t0 >= 60 and growth > RSS_GROWTH_LIMIT,
                # By pid: the supervisor, its engine processes, multiprocessing's helpers.
                "rss_by_process_start_kib": warm[0][2],
                "rss_by_process_end_kib": procs,
                "rss_series": [[round(t - self.started, 1), kib] for t, kib, _ in self.samples],
            }
        return out


class Host:
    """``riverhost run --processes N`` in a session of its own, restartable."""

    def __init__(self, index: int, env: dict[str, str], processes: int, folder: Path) -> None:
        self.index = index
        self.env = env
        self.processes = processes
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None
        self.lives: list[Life] = []
        self._log: IO[bytes] | None = None

    @property
    def life(self) -> Life:
        return self.lives[-1]

    def start(self) -> None:
        name = f"host{self.index}#{len(self.lives) + 1}"
        log_path = self.folder / f"{name.replace('#', '-')}.log"
        self._log = log_path.open("wb")
        argv = [sys.executable, "-m", "riverhost", "--log-format", "json", "run", "--no-migrate"]
        self.process = subprocess.Popen(
            [*argv, "--processes", str(self.processes)],
            env=self.env,
            cwd=self.folder,  # no stray ./riverhost.yaml
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            start_new_session=True,  # its own process group: killed whole, sampled whole
        )
        self.lives.append(Life(name, self.process.pid, log_path, time.monotonic()))

    def wait_ready(self, timeout: float = 90) -> None:
        """Wait until every engine process of this life logged ``host.running``."""
        deadline = time.monotonic() + timeout
        while len(self.life.client_ids()) < self.processes:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.life.name} exited: see {self.life.log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.life.name} not running after {timeout}s")
            time.sleep(0.1)

    def sample(self, now: float) -> None:
        if self.process is not None and self.process.poll() is None:
            procs = group_rss(self.process.pid)
            if procs:
                self.life.samples.append((now, sum(procs.values()), procs))

    def kill(self) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.life.exit_code = self.process.wait(timeout=30)
        self.life.ended = "killed"
        self._close_log()

    def terminate(self) -> None:
        """SIGTERM to the supervisor (it passes it on), without waiting."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)

    def wait_stopped(self, timeout: float) -> None:
        assert self.process is not None
        try:
            self.life.exit_code = self.process.wait(timeout=timeout)
            self.life.ended = "stopped"
        except subprocess.TimeoutExpired:
            self.kill()
            self.life.ended = "did not stop: killed"
        # Engine processes outliving their supervisor would be a bug: end them and say so.
        # Not at the very instant it exits, though: multiprocessing's resource tracker (spawn
        # starts one) notices its parent is gone a moment later, by design.
        if leftovers := _outlivers(self.process.pid, grace=2.0):
            self.life.ended += f"; {len(leftovers)} processes left behind"
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


# ----------------------------------------------------------------------------- the inserter


class Inserter(threading.Thread):
    """Inserts ``rate`` jobs a second in small batches, keeping every id it was given."""

    TICK = 0.05

    def __init__(self, url: str, rate: float, seed: int) -> None:
        super().__init__(name="soak-inserter", daemon=True)
        self.url = url
        self.rate = rate
        self.random = random.Random(seed)
        self.ids: list[int] = []
        self.attempted = 0
        self.errors: list[str] = []
        self.started_at = 0.0
        self.stopped_at = 0.0
        self.most_behind = 0
        self._stop_asked = threading.Event()

    def stop(self) -> None:
        self._stop_asked.set()
        self.join(timeout=60)

    def run(self) -> None:
        from riverhost import Client, InsertOpts, InsertParams, RawArgs

        options = {q: InsertOpts(queue=q, max_attempts=MAX_ATTEMPTS) for q in QUEUES}
        pick = self.random
        names, weights = list(QUEUES), list(QUEUES.values())
        with Client.connect(self.url, max_size=1) as client:
            self.started_at = time.monotonic()
            while not self._stop_asked.is_set():
                due = int((time.monotonic() - self.started_at) * self.rate) - self.attempted
                if due <= 0:
                    self._stop_asked.wait(self.TICK)
                    continue
                self.most_behind = max(self.most_behind, due)
                due = min(due, max(1, int(self.rate)))  # at most a second's worth at once
                batch = []
                for queue in pick.choices(names, weights, k=due):
                    args = {"ms": pick.randint(1, 20), "fail": FAIL_RATE, "hang": HANG_RATE}
                    batch.append(InsertParams(RawArgs(f"soak_{queue}", args), options[queue]))
                self.attempted += due
                try:
                    results = client.insert_many(batch)
                except Exception as exc:  # noqa: BLE001 - counted and reported, never hidden
                    self.errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                self.ids.extend(r.job.id for r in results)
            self.stopped_at = time.monotonic()


# ----------------------------------------------------------------------------- the run


def state_counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    rows = conn.execute("SELECT state::text, count(*) FROM river_job GROUP BY 1").fetchall()
    return dict(rows)


def unfinished(counts: dict[str, int]) -> int:
    return sum(n for state, n in counts.items() if state not in FINAL_STATES)


@contextlib.contextmanager
def database(options: argparse.Namespace) -> Iterator[tuple[str, str]]:
    """(server URL for describing the machine, database URL for the soak)."""
    if options.database_url:
        yield options.database_url, options.database_url
        return
    with server_url() as server, scratch_database(server, "soak") as url:
        yield server, url


def soak(options: argparse.Namespace, url: str, folder: Path) -> dict[str, Any]:
    """Run the fleet, the inserter and the kills; return everything the audit needs."""
    from riverhost.testing import command_environment

    site = build_plugin(folder)
    done_file = folder / "done"
    workers = {
        f"RIVERHOST_JOBS__QUEUES__{queue.upper()}__MAX_WORKERS": str(count * options.scale_workers)
        for queue, count in QUEUES.items()
    }
    env = command_environment(
        site, RIVERHOST_DATABASE_URL=url, RH_SOAK_DONE=str(done_file), **HOST_SETTINGS, **workers
    )
    migrate = [sys.executable, "-m", "riverhost", "--log-format", "json", "migrate"]
    subprocess.run(migrate, env=env, cwd=folder, check=True, capture_output=True)
    hosts = [Host(i, env, options.processes, folder) for i in range(options.hosts)]
    victims = hosts[1:] or hosts  # host 0 lives the whole run when there are others
    kills: list[dict[str, Any]] = []
    samples: list[dict[str, Any]] = []
    inserter = Inserter(url, options.rate, options.seed)
    try:
        for host in hosts:
            host.start()
        for host in hosts:
            host.wait_ready()
        _say(f"{len(hosts)} hosts x {options.processes} processes running; inserting")
        with psycopg.connect(url, autocommit=True) as conn:
            t0 = time.monotonic()

            def sample(phase: str) -> dict[str, int]:
                now = time.monotonic()
                for host in hosts:
                    host.sample(now)
                counts = state_counts(conn)
                samples.append(
                    {
                        "t": round(now - t0, 1),
                        "phase": phase,
                        "inserted": len(inserter.ids),
                        "states": counts,
                        "rss_kib": {
                            h.life.name: h.life.samples[-1][1] for h in hosts if h.life.samples
                        },
                    }
                )
                return counts

            inserter.start()
            end = t0 + options.minutes * 60
            next_kill = t0 + options.kill_every
            next_sample = t0
            while (now := time.monotonic()) < end:
                if now >= next_sample:
                    counts = sample("insert")
                    _say(
                        f"t={now - t0:5.0f}s inserted {len(inserter.ids)} "
                        f"unfinished {unfinished(counts)} completed {counts.get('completed', 0)}"
                    )
                    next_sample = now + options.sample_every
                if now >= next_kill and next_kill < end - 5:
                    victim = victims[len(kills) % len(victims)]
                    kills.append(kill_and_restart(conn, victim, t0))
                    next_kill += options.kill_every
                time.sleep(0.1)
            inserter.stop()
            _say(
                f"inserted {len(inserter.ids)} in {inserter.stopped_at - inserter.started_at:.0f}s;"
                " draining"
            )
            drain_started = time.monotonic()
            deadline = drain_started + options.drain_timeout
            while True:
                counts = sample("drain")
                left = unfinished(counts)
                if left == 0 or time.monotonic() >= deadline:
                    break
                _say(f"draining: {left} unfinished")
                time.sleep(min(options.sample_every, 1.0))
            drained_in = time.monotonic() - drain_started
            _say(f"drain ended after {drained_in:.0f}s with {left} unfinished; SIGTERM")
            for host in hosts:
                host.sample(time.monotonic())
                host.terminate()
            stop_started = time.monotonic()
            for host in hosts:
                host.wait_stopped(timeout=60)
            stopped_in = time.monotonic() - stop_started
    finally:
        inserter.stop()
        for host in hosts:
            if host.process is not None and host.process.poll() is None:
                host.kill()
    return {
        "hosts": hosts,
        "kills": kills,
        "samples": samples,
        "inserter": inserter,
        "done_file": done_file,
        "drained_in_s": round(drained_in, 1),
        "stopped_in_s": round(stopped_in, 1),
        "left_after_drain": left,
    }


def kill_and_restart(conn: psycopg.Connection[Any], host: Host, t0: float) -> dict[str, Any]:
    """SIGKILL ``host``'s process group mid-work and start it again."""
    life = host.life
    clients = life.client_ids()
    running = conn.execute(
        "SELECT count(*) FROM river_job WHERE state = 'running' "
        "AND attempted_by[cardinality(attempted_by)] = ANY(%s)",
        (clients,),
    ).fetchone()
    at = time.monotonic()
    host.sample(at)
    host.kill()
    host.start()
    host.wait_ready()
    record = {
        "t": round(at - t0, 1),
        "life": life.name,
        "pid": life.pid,
        "client_ids": clients,
        "running_jobs_at_kill": running[0] if running else 0,
        "restarted_in_s": round(time.monotonic() - at, 1),
    }
    _say(f"killed {life.name} with {record['running_jobs_at_kill']} jobs running; restarted")
    return record


# ----------------------------------------------------------------------------- the audit


def audit(url: str, run: dict[str, Any]) -> dict[str, Any]:
    """Check the job table against what was inserted and what the workers witnessed."""
    inserter: Inserter = run["inserter"]
    inserted = Counter(inserter.ids)
    witnessed: Counter[int] = Counter()
    if run["done_file"].exists():
        with run["done_file"].open() as done:
            witnessed.update(int(line.split()[0]) for line in done if line.strip())
    with psycopg.connect(url, autocommit=True) as conn:
        rows = dict(conn.execute("SELECT id, state::text FROM river_job").fetchall())
        errors = conn.execute(
            "SELECT split_part(e ->> 'error', ':', 1), count(*) "
            "FROM river_job, unnest(errors) AS e GROUP BY 1"
        ).fetchall()
        rescues = conn.execute(
            "SELECT coalesce(sum((metadata ->> 'river:rescue_count')::int), 0), "
            "count(*) FILTER (WHERE metadata ? 'river:rescue_count') FROM river_job"
        ).fetchone()
        attempts = conn.execute(
            "SELECT attempt, count(*) FROM river_job GROUP BY 1 ORDER BY 1"
        ).fetchall()
        reran = [job for job, n in witnessed.items() if n > 1]
        explained = {
            r[0]
            for r in conn.execute(
                "SELECT id FROM river_job WHERE id = ANY(%s) AND EXISTS ("
                "SELECT FROM unnest(errors) AS e "
                "WHERE e ->> 'error' LIKE 'Stuck job rescued by riverhost:%%')",
                (reran,),
            )
        }
    states = Counter(rows.values())
    missing = [i for i in inserted if i not in rows]
    unexpected = [i for i in rows if i not in inserted]
    by_error: dict[str, int] = dict(errors)
    completed_unwitnessed = [i for i, s in rows.items() if s == "completed" and witnessed[i] == 0]
    unexplained_reruns = [i for i in reran if i not in explained]
    hosts: list[Host] = run["hosts"]
    unclean = [
        f"{life.name}: {life.ended} (exit {life.exit_code})"
        for host in hosts
        for life in host.lives
        if life.ended != "killed" and (life.ended != "stopped" or life.exit_code != 0)
    ]
    checks = {
        "every inserted id present": not missing,
        "no id inserted twice": all(n == 1 for n in inserted.values()),
        "no row that was not inserted": not unexpected,
        "no insert failed": not inserter.errors,
        "nothing running at the end": states.get("running", 0) == 0,
        "nothing unfinished after the drain": sum(
            n for s, n in states.items() if s not in FINAL_STATES
        )
        == 0,
        "every completed job's work witnessed": not completed_unwitnessed,
        "no work ran twice without a rescue to explain it": not unexplained_reruns,
        "every host stopped cleanly on SIGTERM": not unclean,
    }
    return {
        "ok": all(checks.values()),
        "checks": checks,
        "inserted": len(inserter.ids),
        "rows": len(rows),
        "states": dict(sorted(states.items())),
        "stuck": {s: states.get(s, 0) for s in ("available", "retryable", "scheduled", "pending")},
        "missing": missing[:50],
        "unexpected": unexpected[:50],
        "insert_errors": inserter.errors[:10],
        "errors_by_kind": by_error,
        "failures_injected": by_error.get("SoakFailure", 0),
        "timeouts": by_error.get("TimeoutError", 0),
        "rescue_errors": by_error.get("Stuck job rescued by riverhost", 0),
        "rescues": rescues[0] if rescues else 0,
        "jobs_rescued": rescues[1] if rescues else 0,
        "attempts": dict(attempts),
        "work_ran_twice": len(reran),
        "work_ran_twice_explained_by_rescue": len(explained),
        "unexplained_reruns": unexplained_reruns[:50],
        "completed_unwitnessed": completed_unwitnessed[:50],
        "unclean_stops": unclean,
    }


# ----------------------------------------------------------------------------- the report


def summarize(result: dict[str, Any]) -> str:
    a = result["audit"]
    lines = [
        f"soak: {result['options']['hosts']} hosts x {result['options']['processes']} processes, "
        f"{result['options']['minutes']} min at {result['options']['rate']:.0f} jobs/s asked "
        f"({result['insert_rate']:.0f}/s achieved)",
        f"  inserted {a['inserted']}, rows {a['rows']}, states {a['states']}",
        f"  backlog when inserting stopped: {result['backlog_at_stop']} unfinished; drained in "
        f"{result['drained_in_s']} s; hosts stopped in {result['stopped_in_s']} s",
        f"  failures injected {a['failures_injected']}, timeouts {a['timeouts']}, "
        f"kills {len(result['kills'])}, rescues {a['rescues']} ({a['jobs_rescued']} jobs), "
        f"work ran twice {a['work_ran_twice']} "
        f"(explained by a rescue: {a['work_ran_twice_explained_by_rescue']})",
        f"  stuck: {a['stuck']}",
    ]
    for life in result["rss"]:
        if "rss_start_kib" in life:
            flag = "  GROWTH > 20 %" if life["rss_growth_flagged"] else ""
            lines.append(
                f"  RSS {life['life']:>9} ({life['ended']}, {life['lived_s']:.0f} s): "
                f"{life['rss_start_kib'] / 1024:.0f} MiB at {life['rss_start_at_s']:.0f} s -> "
                f"{life['rss_end_kib'] / 1024:.0f} MiB at {life['rss_end_at_s']:.0f} s "
                f"({life['rss_growth']:+.1%}){flag}"
            )
    if not result["backlog_built"]:
        lines.append("  note: no backlog built (under 2 s of inserts): raise --rate to overload")
    for check, ok in a["checks"].items():
        lines.append(f"  [{'ok' if ok else 'FAILED'}] {check}")
    lines.append(f"audit: {'PASSED' if a['ok'] else 'FAILED'}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    options = _options(argv)
    folder = Path(tempfile.mkdtemp(prefix="riverhost-soak-"))
    started = datetime.now(UTC)
    with database(options) as (server, url):
        machine = describe_machine(server)
        run = soak(options, url, folder)
        result_audit = audit(url, run)
    inserter: Inserter = run["inserter"]
    insert_time = max(inserter.stopped_at - inserter.started_at, 1e-9)
    at_stop = [s for s in run["samples"] if s["phase"] == "insert"]
    backlog = unfinished(at_stop[-1]["states"]) if at_stop else 0
    rss = [life.report() for host in run["hosts"] for life in host.lives]
    result = {
        "started_at": started.isoformat(),
        "options": {
            k: (str(v) if isinstance(v, Path) else v)
            for k, v in vars(options).items()
            if k != "database_url"
        },
        "machine": machine,
        "host_settings": HOST_SETTINGS,
        "job_mix": {
            "queue_weights": QUEUES,
            "sleep_ms": [1, 20],
            "fail_rate": FAIL_RATE,
            "hang_rate": HANG_RATE,
            "max_attempts": MAX_ATTEMPTS,
        },
        "insert_rate": len(inserter.ids) / insert_time,
        "inserter_most_behind": inserter.most_behind,
        "backlog_at_stop": backlog,
        "backlog_built": backlog >= 2 * options.rate,
        "drained_in_s": run["drained_in_s"],
        "stopped_in_s": run["stopped_in_s"],
        "kills": run["kills"],
        "audit": result_audit,
        "rss": rss,
        "rss_growth_flagged": [r["life"] for r in rss if r.get("rss_growth_flagged")],
        "samples": run["samples"],
        "work_folder": str(folder) if options.keep or not result_audit["ok"] else None,
    }
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(result, indent=1, default=str) + "\n")
    print(summarize(result))
    print(f"wrote {options.out}")
    if result["work_folder"]:
        print(f"host logs in {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return 0 if result_audit["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
