"""The HTTP server: admin API latency on a table of a million jobs, and its cost to the engine.

    python -m benchmarks.http_admin                     # both parts, ~10 minutes
    python -m benchmarks.http_admin --skip-engine --requests 200
    python -m benchmarks.http_admin --skip-latency --rounds 5 --engine-jobs 100000

Part 1 (latency): a scratch database gets ``--rows`` jobs written by one SQL statement
(:func:`load`: 5 queues, 20 kinds, ~90 % completed, the rest available, retryable, scheduled,
discarded or cancelled, scattered over the id range as a week of traffic leaves them), then
VACUUM ANALYZE. The server (:class:`riverhost.http.HttpServer`, the one ``riverhost serve``
runs) runs in a process of its own; this process asks each route ``--requests`` times in a row
with httpx after ``--warmup`` requests, timing each from the client (loopback HTTP included),
and reads the server process's CPU time around each route. Every statement those routes run is
then EXPLAIN ANALYZEd on the same table.

Part 2 (cost): the engine works ``--engine-jobs`` no-op jobs (one process, ``--workers``) with
the HTTP server as one of its services, as ``riverhost run`` does with ``http.listen`` set, in
three arms run alternately (the order rotated every round): ``no_server`` (the engine alone),
``server_idle`` (the server up, nobody asking) and ``dashboard_open`` (a client holding the
event stream and fetching ``/`` and ``/jobs`` every ``--page-every`` seconds, as the dashboard's
pages do). Throughput and CPU per 1,000 jobs come from the same driver as
:mod:`benchmarks.throughput` (:mod:`benchmarks.peers.riverhost`).

Uses ``RIVERHOST_DATABASE_URL`` or the embedded PostgreSQL; every database is a scratch one.
Writes ``benchmarks/results/http-latest.{json,md}``. On a shared machine only the ratios
between arms of one sitting compare.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

from benchmarks.bench import RESULTS, describe_machine, scratch_database, server_url
from benchmarks.http_process import free_port, serve_forever, serving
from benchmarks.peers import _driver
from benchmarks.peers.riverhost import BenchPlugin, Riverhost

QUEUES = ["critical", "high", "default", "low", "bulk"]
KINDS = [f"kind_{i:02d}" for i in range(20)]
STATE_SHARES = [  # cumulative: a row's state is the first whose bound exceeds its draw
    ("completed", 0.90),
    ("available", 0.95),
    ("retryable", 0.96),
    ("scheduled", 0.98),
    ("discarded", 0.99),
    ("cancelled", 1.00),
]
ROUTES = {
    "jobs?state=available&limit=50": "/api/v1/admin/jobs?state=available&limit=50",
    "jobs?limit=50": "/api/v1/admin/jobs?limit=50",
    "jobs?kind=kind_07&state=completed&limit=50": (
        "/api/v1/admin/jobs?kind=kind_07&state=completed&limit=50"
    ),
    "jobs?state=retryable&queue=bulk&limit=50": (
        "/api/v1/admin/jobs?state=retryable&queue=bulk&limit=50"
    ),
    "queues": "/api/v1/admin/queues",
    "jobs/{id}": "/api/v1/admin/jobs/{id}",
    "dashboard /": "/",
    "dashboard /jobs": "/jobs",
}

# ----------------------------------------------------------------------------- the table


def load(url: str, rows: int, seed: float = 0.42) -> dict[str, Any]:
    """``rows`` jobs in ``river_job`` by one INSERT ... SELECT (indexes dropped for it and
    built again after), then VACUUM ANALYZE; the seconds each took and the states' counts."""
    from riverhost.db.migrate import migrate

    migrate(url)
    case = " ".join(f"WHEN d.r < {bound} THEN '{state}'" for state, bound in STATE_SHARES)
    kinds = "ARRAY[" + ", ".join(f"'{k}'" for k in KINDS) + "]"
    queues = "ARRAY[" + ", ".join(f"'{q}'" for q in QUEUES) + "]"
    insert = f"""
    INSERT INTO river_job (state, attempt, max_attempts, attempted_at, created_at, finalized_at,
                           scheduled_at, priority, args, attempted_by, errors, kind, metadata,
                           queue, tags)
    SELECT s.state::river_job_state,
           CASE WHEN s.state IN ('available', 'scheduled') THEN 0
                WHEN s.state IN ('retryable', 'discarded') THEN 1 + mod(g, 3) ELSE 1 END,
           25,
           CASE WHEN s.state IN ('available', 'scheduled') THEN NULL ELSE t.at + interval '1 s' END,
           t.at,
           CASE WHEN s.state IN ('completed', 'cancelled', 'discarded')
                THEN t.at + interval '2 s' END,
           CASE WHEN s.state = 'scheduled' THEN now() + (d.r * interval '1 day')
                WHEN s.state = 'retryable' THEN now() + (d.r * interval '1 hour')
                ELSE t.at END,
           1 + (mod(g, 4) = 0)::int,
           jsonb_build_object('account_id', mod(g, 5000), 'n', g),
           CASE WHEN s.state IN ('available', 'scheduled') THEN NULL
                ELSE ARRAY['bench-host_1234_2026'] END,
           CASE WHEN s.state IN ('retryable', 'discarded')
                THEN ARRAY[jsonb_build_object('at', t.at, 'attempt', 1,
                           'error', 'ConnectionError: upstream refused', 'trace', '')] END,
           k.kind,
           '{{}}'::jsonb,
           ({queues})[1 + mod(k.i, 5)],
           CASE WHEN mod(g, 10) = 0 THEN ARRAY['nightly']::varchar(255)[]
                ELSE '{{}}'::varchar(255)[] END
    FROM generate_series(1, %(rows)s) AS g,
         LATERAL (SELECT random() AS r, mod(g::bigint * 7919, 20) AS i) AS d,
         LATERAL (SELECT CASE {case} END AS state) AS s,
         LATERAL (SELECT (d.i) AS i, ({kinds})[1 + d.i] AS kind) AS k,
         LATERAL (SELECT now() - (%(rows)s - g) * interval '600 ms' AS at) AS t
    """
    timings: dict[str, float] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        conn.execute("SELECT setseed(%s)", (seed,))
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename = 'river_job' AND indexname <> 'river_job_pkey'"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        began = time.perf_counter()
        with conn.transaction():
            conn.execute("SELECT setseed(%s)", (seed,))
            conn.execute(insert, {"rows": rows})  # type: ignore[call-overload]
        timings["insert_s"] = time.perf_counter() - began
        began = time.perf_counter()
        for _, definition in indexes:
            conn.execute(definition)
        timings["indexes_s"] = time.perf_counter() - began
        began = time.perf_counter()
        conn.execute("VACUUM (ANALYZE) river_job")
        timings["vacuum_analyze_s"] = time.perf_counter() - began
        states = dict(
            conn.execute("SELECT state::text, count(*) FROM river_job GROUP BY 1").fetchall()
        )
        size = conn.execute("SELECT pg_size_pretty(pg_total_relation_size('river_job'))")
        timings["table_size"] = size.fetchone()[0]  # type: ignore[index, assignment]
    return {"rows": rows, "states": states, **timings}


# ----------------------------------------------------------------------------- the server


def _registry() -> Any:
    from riverhost.config import load_config
    from riverhost.registry import registry_from_objects

    return registry_from_objects(("bench", BenchPlugin()), config=load_config(environ={}))


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _summary(ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(_driver._percentile(ms, 0.5), 2),
        "p90_ms": round(_driver._percentile(ms, 0.9), 2),
        "p99_ms": round(_driver._percentile(ms, 0.99), 2),
        "max_ms": round(max(ms), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


def measure_routes(base: str, pid: int, ids: list[int], requests: int, warmup: int) -> Any:
    """Each route ``requests`` times in a row after ``warmup``; client-side times and the
    server process's CPU per request."""
    out: dict[str, Any] = {}
    rng = random.Random(7)
    with httpx.Client(base_url=base, timeout=30) as client:
        for name, path in ROUTES.items():

            def target(path: str = path) -> str:
                return path.replace("{id}", str(rng.choice(ids)))

            for _ in range(warmup):
                client.get(target()).raise_for_status()
            times: list[float] = []
            cpu0 = _cpu_s(pid)
            for _ in range(requests):
                path_now = target()
                began = time.perf_counter()
                answer = client.get(path_now)
                times.append((time.perf_counter() - began) * 1000)
                answer.raise_for_status()
            cpu = _cpu_s(pid) - cpu0
            body = answer.json() if "json" in answer.headers["content-type"] else None
            extra: dict[str, Any] = {}
            if isinstance(body, dict) and "total" in body:
                extra = {"total": body["total"], "total_is_estimate": body["total_is_estimate"]}
            out[name] = {
                "path": path,
                "requests": requests,
                **_summary(times),
                "server_cpu_ms_per_request": round(cpu / requests * 1000, 2),
                **extra,
            }
            _say(f"  {name:45} {_line(out[name])}")
    return out


def _line(r: dict[str, Any]) -> str:
    return (
        f"p50 {r['p50_ms']:6.2f}  p99 {r['p99_ms']:6.2f}  max {r['max_ms']:6.2f} ms"
        f"  server CPU {r['server_cpu_ms_per_request']:.2f} ms/req"
    )


# ----------------------------------------------------------------------------- the statements


def _plan_nodes(plan: dict[str, Any]) -> list[str]:
    name = plan["Node Type"]
    if "Index Name" in plan:
        name += f" ({plan['Index Name']})"
    rows = f" rows={plan.get('Actual Rows')}x{plan.get('Actual Loops')}"
    return [name + rows] + [n for child in plan.get("Plans", []) for n in _plan_nodes(child)]


def explain_statements(url: str) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement the measured routes run (the third run
    of each, so caches are warm): execution ms and the plan's nodes."""
    from riverhost.client.listing import JobFilter, _count_statements, _list_statement
    from riverhost.client.queues import _LIVE_LAPSE
    from riverhost.db import queries
    from riverhost.kinds import JobState

    filters = {
        "state=available": JobFilter(states=[JobState.AVAILABLE], limit=50),
        "unfiltered": JobFilter(limit=50),
        "kind=kind_07&state=completed": JobFilter(
            kinds=["kind_07"], states=[JobState.COMPLETED], limit=50
        ),
        "state=retryable&queue=bulk": JobFilter(
            states=[JobState.RETRYABLE], queues=["bulk"], limit=50
        ),
    }
    statements: dict[str, tuple[sql.Composable, Any]] = {}
    for name, where in filters.items():
        statements[f"JOB_LIST {name}"] = _list_statement(where)
        exact, estimate, params = _count_statements(where, 10_001)
        statements[f"JOB_COUNT_CAPPED {name}"] = (exact, params)
        statements[f"JOB_COUNT_EXPLAIN {name}"] = (estimate, params)
    lapse = {"lapse": _LIVE_LAPSE}
    statements["QUEUE_LIST"] = (sql.SQL(queries.QUEUE_LIST), None)
    statements["UNSERVED_KINDS"] = (sql.SQL(queries.UNSERVED_KINDS), lapse)
    statements["LIVE_QUEUES"] = (sql.SQL(queries.LIVE_QUEUES), lapse)
    statements["HOSTS_LIVE"] = (sql.SQL(queries.HOSTS_LIVE), lapse)
    statements["GET"] = (sql.SQL(queries.GET), (500_000,))
    statements["JOB_EVENTS_RUNNING"] = (sql.SQL(queries.JOB_EVENTS_RUNNING), None)
    statements["JOB_EVENTS_FINALIZED"] = (
        sql.SQL(queries.JOB_EVENTS_FINALIZED),
        {"after": datetime.now(UTC) - timedelta(minutes=10), "after_id": 0, "limit": 500},
    )
    out: dict[str, Any] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for name, (statement, params) in statements.items():
            if name.startswith("JOB_COUNT_EXPLAIN"):  # an EXPLAIN already: timed as it is
                for _ in range(3):
                    began = time.perf_counter()
                    conn.execute(statement, params).fetchone()
                    took = (time.perf_counter() - began) * 1000
                out[name] = {"execution_ms": round(took, 3), "nodes": ["EXPLAIN (client-timed)"]}
                _say(f"  {name:50} {took:8.2f} ms")
                continue
            explain = sql.SQL("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ") + statement
            for _ in range(3):
                row = conn.execute(explain, params).fetchone()
            assert row is not None
            plan = row[0][0]
            out[name] = {
                "execution_ms": round(plan["Execution Time"], 3),
                "planning_ms": round(plan["Planning Time"], 3),
                "shared_hit_blocks": plan["Plan"].get("Shared Hit Blocks"),
                "nodes": _plan_nodes(plan["Plan"]),
            }
            _say(f"  {name:50} {out[name]['execution_ms']:8.2f} ms  {out[name]['nodes'][0]}")
    return out


def latency_part(server: str, options: argparse.Namespace) -> dict[str, Any]:
    with scratch_database(server, "http") as url:
        _say(f"http_admin: loading {options.rows:,} jobs")
        loaded = load(url, options.rows)
        _say(f"  {json.dumps(loaded)}")
        with psycopg.connect(url) as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM river_job TABLESAMPLE SYSTEM (1)")]
        with serving("benchmarks.http_admin", url) as (base, pid):
            _say(f"http_admin: {options.requests} requests per route")
            routes = measure_routes(base, pid, ids, options.requests, options.warmup)
        _say("http_admin: EXPLAIN ANALYZE")
        statements = explain_statements(url)
    return {"table": loaded, "routes": routes, "statements": statements}


# ----------------------------------------------------------------------------- the engine


class HttpEngine(Riverhost):
    """The throughput driver's engine, with the HTTP server among its services when the task
    names a port (what ``riverhost run`` does with ``http.listen`` set)."""

    async def work(self, concurrency: int) -> None:
        from riverhost.config import load_config
        from riverhost.engine.host import Host
        from riverhost.http import HttpServer
        from riverhost.logging import configure
        from riverhost.registry import registry_from_objects

        configure(level="warning")
        env = {"RIVERHOST_JOBS__QUEUES__DEFAULT__MAX_WORKERS": str(concurrency)}
        registry = registry_from_objects(("bench", BenchPlugin()), config=load_config(environ=env))
        port = self.task.get("http_port")
        services = [HttpServer(registry, self.url, f"127.0.0.1:{port}")] if port else []
        await Host(registry, self.url, services=services).run()


class Dashboard:
    """An open dashboard: the event stream held, ``/`` and ``/jobs`` fetched every ``every``
    seconds (the queues page's refresh; the jobs page's is 5 s), from threads of this process.
    It keeps trying until the server is up and stops when told or when the server goes."""

    def __init__(self, base: str, every: float) -> None:
        self.base = base
        self.every = every
        self.stop = threading.Event()
        self.job_events: set[int] = set()
        self.page_ms: list[float] = []
        self.stream_opened: float | None = None
        self._threads = [
            threading.Thread(target=self._stream, daemon=True),
            threading.Thread(target=self._pages, daemon=True),
        ]

    def __enter__(self) -> Dashboard:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(20)

    def _stream(self) -> None:
        while not self.stop.is_set():
            try:
                with (
                    httpx.Client(base_url=self.base, timeout=httpx.Timeout(5, read=20)) as client,
                    client.stream("GET", "/api/v1/admin/events") as answer,
                ):
                    self.stream_opened = time.time()
                    event = ""
                    for line in answer.iter_lines():
                        if line.startswith("event: "):
                            event = line[7:]
                        elif line.startswith("data: ") and event == "job":
                            self.job_events.add(json.loads(line[6:])["job_id"])
                        if self.stop.is_set():
                            return
            except httpx.HTTPError:
                if self.stream_opened is not None:
                    return  # the server went away
                time.sleep(0.02)

    def _pages(self) -> None:
        with httpx.Client(base_url=self.base, timeout=10) as client:
            while not self.stop.is_set():
                try:
                    for path in ("/", "/jobs"):
                        began = time.perf_counter()
                        client.get(path).raise_for_status()
                        self.page_ms.append((time.perf_counter() - began) * 1000)
                except httpx.HTTPError:
                    if self.page_ms:
                        return
                    time.sleep(0.02)
                    continue
                self.stop.wait(self.every)


def engine_run(server: str, arm: str, options: argparse.Namespace) -> dict[str, Any]:
    """One work run of ``options.engine_jobs`` no-op jobs in arm ``arm``."""
    port = free_port() if arm != "no_server" else None
    with scratch_database(server, "http_engine") as url:
        driver = HttpEngine(url, {})
        task = {
            "phase": "work",
            "url": url,
            "jobs": options.engine_jobs,
            "concurrency": options.workers,
            "processes": 1,
            "http_port": port,
            "timeout": 600,
        }
        driver.task = task

        async def run() -> dict[str, Any]:
            await driver.setup()
            return await _driver.phase_work(driver, task)

        dashboard = None
        with contextlib.ExitStack() as stack:
            if arm == "dashboard_open":
                dashboard = stack.enter_context(
                    Dashboard(f"http://127.0.0.1:{port}", options.page_every)
                )
            result = asyncio.run(run())
    result = {"arm": arm, **result}
    if dashboard is not None:
        result["stream_job_events"] = len(dashboard.job_events)
        result["page_fetches"] = len(dashboard.page_ms)
        if dashboard.page_ms:
            result["page_p50_ms"] = round(statistics.median(dashboard.page_ms), 1)
            result["page_max_ms"] = round(max(dashboard.page_ms), 1)
    return result


ARMS = ["no_server", "server_idle", "dashboard_open"]


def engine_part(server: str, options: argparse.Namespace) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {arm: [] for arm in ARMS}
    for round_ in range(options.rounds):
        order = ARMS[round_ % 3 :] + ARMS[: round_ % 3]
        for arm in order:
            result = engine_run(server, arm, options)
            runs[arm].append(result)
            extra = (
                f"  stream saw {result['stream_job_events']:,} job events,"
                f" {result['page_fetches']} page fetches"
                if arm == "dashboard_open"
                else ""
            )
            _say(
                f"  round {round_ + 1} {arm:15} {result['jobs_per_s']:>8,.0f} jobs/s "
                f"{result['cpu_ms_per_1000']:5.1f} CPU ms/1k{extra}"
            )
    medians = {
        arm: {
            "jobs_per_s": statistics.median(r["jobs_per_s"] for r in rs),
            "cpu_ms_per_1000": statistics.median(r["cpu_ms_per_1000"] for r in rs),
            "seconds": statistics.median(r["seconds"] for r in rs),
        }
        for arm, rs in runs.items()
    }
    base, idle, open_ = (medians[a] for a in ARMS)
    ratios = {
        "dashboard_open/no_server jobs_per_s": open_["jobs_per_s"] / base["jobs_per_s"],
        "dashboard_open/server_idle jobs_per_s": open_["jobs_per_s"] / idle["jobs_per_s"],
        "server_idle/no_server jobs_per_s": idle["jobs_per_s"] / base["jobs_per_s"],
        "dashboard_open/no_server cpu_ms_per_1000": open_["cpu_ms_per_1000"]
        / base["cpu_ms_per_1000"],
        "server_idle/no_server cpu_ms_per_1000": idle["cpu_ms_per_1000"] / base["cpu_ms_per_1000"],
    }
    return {
        "jobs": options.engine_jobs,
        "workers": options.workers,
        "page_every_s": options.page_every,
        "medians": medians,
        "ratios": {k: round(v, 3) for k, v in ratios.items()},
        "runs": runs,
    }


# ----------------------------------------------------------------------------- report


def markdown(data: dict[str, Any]) -> str:
    m = data["machine"]
    lines = [
        "# riverhost HTTP server benchmark",
        "",
        f"{data['when']}; {m['cores']} cores ({m['cpu']}), {m['ram_gib']} GiB, PostgreSQL "
        f"{m['postgresql']} on {m['postgresql_on']}, Python {m['python']}. A shared machine: "
        "absolute figures move between sittings; compare within a table.",
        "",
    ]
    if "latency" in data:
        lat = data["latency"]
        t = lat["table"]
        states = ", ".join(f"{k} {v:,}" for k, v in sorted(t["states"].items()))
        lines += [
            f"## Admin API on {t['rows']:,} jobs ({t['table_size']})",
            "",
            f"States: {states}. Loaded in {t['insert_s']:.0f} s + {t['indexes_s']:.0f} s "
            "of indexes, then VACUUM ANALYZE. The server in its own process (as `riverhost "
            f"serve`); {data['options']['requests']} sequential requests per route with httpx "
            f"after {data['options']['warmup']} of warm-up; times from the client, loopback "
            "HTTP included.",
            "",
            "| route | p50 ms | p99 ms | max ms | server CPU ms/req | total |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, r in lat["routes"].items():
            total = r.get("total", "")
            if total != "":
                total = f"{total:,}" + (" (est.)" if r["total_is_estimate"] else "")
            lines.append(
                f"| `{name}` | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['max_ms']:.1f} "
                f"| {r['server_cpu_ms_per_request']:.1f} | {total} |"
            )
        lines += [
            "",
            "Statements (EXPLAIN ANALYZE, warm):",
            "",
            "| statement | ms | plan |",
            "|---|---:|---|",
        ]
        for name, s in lat["statements"].items():
            lines.append(f"| {name} | {s['execution_ms']:.2f} | {'; '.join(s['nodes'][:3])} |")
        lines.append("")
    if "engine" in data:
        e = data["engine"]
        lines += [
            f"## Engine throughput with the server ({e['jobs']:,} no-op jobs, 1 process, "
            f"{e['workers']} workers, medians of {len(e['runs']['no_server'])} interleaved runs)",
            "",
            "`dashboard_open`: a client holds `/api/v1/admin/events` and fetches `/` and "
            f"`/jobs` every {e['page_every_s']:g} s while the engine works.",
            "",
            "| arm | jobs/s | CPU ms/1k jobs |",
            "|---|---:|---:|",
        ]
        for arm, r in e["medians"].items():
            lines.append(f"| {arm} | {r['jobs_per_s']:,.0f} | {r['cpu_ms_per_1000']:.1f} |")
        lines += ["", "Ratios: " + ", ".join(f"{k} {v:.2f}" for k, v in e["ratios"].items())]
        opened = e["runs"]["dashboard_open"]
        lines += [
            "",
            "Job events the stream delivered per run: "
            + ", ".join(f"{r['stream_job_events']:,} of {r['jobs']:,}" for r in opened)
            + ".",
            "",
        ]
    return "\n".join(lines)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        serve_forever(_registry(), sys.argv[2], int(sys.argv[3]))
        return
    if sys.argv[1:2] == ["--worker"]:
        _driver.main(HttpEngine)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=500, help="per route (500)")
    parser.add_argument("--warmup", type=int, default=50, help="per route (50)")
    parser.add_argument("--engine-jobs", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--page-every", type=float, default=3.0)
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-engine", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    options = parser.parse_args()
    began = time.time()
    data: dict[str, Any] = {}
    with server_url() as server:
        data["machine"] = describe_machine(server)
        if not options.skip_latency:
            data["latency"] = latency_part(server, options)
        if not options.skip_engine:
            _say("http_admin: engine with and without the dashboard")
            data["engine"] = engine_part(server, options)
    data = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(began)),
        "duration_s": round(time.time() - began, 1),
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in vars(options).items()},
        **data,
    }
    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / "http-latest.json").write_text(json.dumps(data, indent=1) + "\n")
    (options.out / "http-latest.md").write_text(markdown(data))
    print(markdown(data))


if __name__ == "__main__":
    main()
