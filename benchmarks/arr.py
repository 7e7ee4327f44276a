"""The *arr plugins: webhook intake to a committed job, and a full library sync on loopback.

    python -m benchmarks.arr                                  # ~5 minutes on 2 shared cores
    python -m benchmarks.arr --seconds 3 --movies 500 --series 100   # a quick look
    python -m benchmarks.arr --skip-webhook                   # the syncs only

Part 1 (webhook intake): the HTTP server (:class:`riverhost.http.HttpServer`, as ``riverhost
serve`` runs it) in a process of its own, with the movie and radarr plugins enabled, on a
scratch database. In this process, ``--clients`` concurrent httpx clients (asyncio, one
connection each, kept alive) POST the reference's ``Download`` body (the radarr plugin's test
fixture ``webhooks.json``) to ``/api/v1/webhooks/radarr`` for ``--seconds`` each, after a
second of warm-up. Each answer is timed from send to the 202, and each 202 means the
``radarr_webhook`` job was committed (the route inserts it in the request's transaction);
the jobs in the table are counted afterwards against the 202s. Nothing works the jobs. Also
recorded: each process's CPU per request and the share of the wall time its threads were
runnable but waiting for a core (``/proc/<pid>/task/*/schedstat``), which says how much of
the latency a shared machine added.

Part 2 (full sync): a Radarr with ``--movies`` movies, each with a file (the reference's
MovieResource, the radarr plugin's test fake ``FakeRadarr``), served on loopback by a child
process, and a full ``radarr_sync`` through the real engine (``work_one_job``) into the movie
plugin's tables: a first sync (every movie added), then an unchanged one. ``fetch_s`` is what
``GET /movie`` and its validation alone take in this process. Then the same for a Sonarr with
``--series`` series of ``--episodes`` episodes, each with a file (``FakeSonarr``): a full sync
costs one ``GET /series`` and two requests per series. The clients' rate limits are lifted
(``requests_per_second``), so the figures are the plugin's, not the politeness default's
(10 requests/s: a 1,000-series Sonarr sync cannot take less than 200 s with it).

Uses ``RIVERHOST_DATABASE_URL`` or the embedded PostgreSQL, a scratch database per part.
Writes ``benchmarks/results/arr-latest.json``. The client, the server and PostgreSQL share
the machine's cores: on a shared machine the figures are indicative only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import sys
import time
from typing import Any

import httpx

from benchmarks.bench import RESULTS, ROOT, describe_machine, scratch_database, server_url
from benchmarks.http_process import serve_forever, serving
from benchmarks.peers._driver import _percentile

SECRET = "bench-webhook-secret"
RADARR_TESTS = ROOT / "plugins" / "radarr" / "tests"
SONARR_TESTS = ROOT / "plugins" / "sonarr" / "tests"


def _fakes_importable() -> None:
    """The fakes and fixtures live with the plugins' tests (``fake_radarr``, ``fake_sonarr``)."""
    for folder in (RADARR_TESTS, SONARR_TESTS):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- registries


def _radarr_registry(base_url: str = "http://127.0.0.1:9", api_key: str | None = None) -> Any:
    from riverhost.registry import registry_from_objects
    from riverhost_movie import plugin as movie_plugin
    from riverhost_radarr import plugin

    section: dict[str, Any] = {
        "base_url": base_url,
        "webhook_secret": SECRET,
        "requests_per_second": 10_000,
        "burst": 100,
    }
    if api_key:
        section["api_key"] = api_key
    return registry_from_objects(
        ("movie", movie_plugin), ("radarr", plugin), settings={"radarr": section}
    )


def _sonarr_registry(base_url: str, api_key: str) -> Any:
    from riverhost.registry import registry_from_objects
    from riverhost_sonarr import plugin
    from riverhost_tvshow import plugin as tvshow_plugin

    section = {
        "base_url": base_url,
        "api_key": api_key,
        "requests_per_second": 10_000,
        "burst": 100,
    }
    return registry_from_objects(
        ("tvshow", tvshow_plugin), ("sonarr", plugin), settings={"sonarr": section}
    )


# ----------------------------------------------------------------------------- part 1


def _waited_s(pid: int) -> float:
    """Seconds the process's threads have spent runnable but waiting for a core
    (``/proc/<pid>/task/*/schedstat``'s second field): on a shared machine, the share of
    the wall time it is starved."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/schedstat") as stat:
            total += int(stat.read().split()[1])
    return total / 1e9


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _post_for(base: str, body: bytes, clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` loops POSTing ``body`` for ``seconds``: each answer's ms and status."""
    headers = {"X-Webhook-Secret": SECRET, "Content-Type": "application/json"}
    path = "/api/v1/webhooks/radarr"
    times: list[float] = []
    statuses: dict[int, int] = {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:

        async def loop(until: float, record: bool) -> None:
            while time.perf_counter() < until:
                began = time.perf_counter()
                answer = await client.post(path, content=body, headers=headers)
                elapsed = (time.perf_counter() - began) * 1000
                if record:
                    times.append(elapsed)
                    statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

        warm = time.perf_counter() + 1.0
        await asyncio.gather(*(loop(warm, False) for _ in range(clients)))
        began = time.perf_counter()
        await asyncio.gather(*(loop(began + seconds, True) for _ in range(clients)))
        wall = time.perf_counter() - began
    return {"times": times, "statuses": statuses, "wall_s": wall}


def webhook_part(server: str, options: argparse.Namespace) -> dict[str, Any]:
    import psycopg

    from riverhost.db.migrate import migrate

    _fakes_importable()
    from fake_radarr import WEBHOOKS

    body = json.dumps(WEBHOOKS["Download"]).encode()
    out: dict[str, Any] = {"body_bytes": len(body), "seconds": options.seconds}
    with scratch_database(server, "arr_webhook") as url:
        migrate(url, lines=list(_radarr_registry().migrations.values()))
        with serving("benchmarks.arr", url) as (base, pid):
            for clients in options.clients:
                with psycopg.connect(url, autocommit=True) as conn:
                    before = conn.execute("SELECT count(*) FROM river_job").fetchone()[0]  # type: ignore[index]
                cpu0, own0 = _cpu_s(pid), time.process_time()
                wait0, own_wait0 = _waited_s(pid), _waited_s(os.getpid())
                got = asyncio.run(_post_for(base, body, clients, options.seconds))
                cpu, own = _cpu_s(pid) - cpu0, time.process_time() - own0
                wait, own_wait = _waited_s(pid) - wait0, _waited_s(os.getpid()) - own_wait0
                wall = got["wall_s"] + 1.0  # with the warm-up second
                with psycopg.connect(url, autocommit=True) as conn:
                    after = conn.execute(  # type: ignore[index]
                        "SELECT count(*) FROM river_job WHERE kind = 'radarr_webhook'"
                    ).fetchone()[0]
                ms = got["times"]
                accepted = got["statuses"].get(202, 0)
                out[f"clients_{clients}"] = row = {
                    "requests": len(ms),
                    "statuses": {str(k): v for k, v in got["statuses"].items()},
                    "requests_per_s": round(len(ms) / got["wall_s"], 1),
                    "p50_ms": round(_percentile(ms, 0.5), 2),
                    "p90_ms": round(_percentile(ms, 0.9), 2),
                    "p99_ms": round(_percentile(ms, 0.99), 2),
                    "max_ms": round(max(ms), 2),
                    # warm-up requests committed jobs too: the table holds at least the 202s
                    "jobs_committed": after - before,
                    "jobs_committed_covers_202s": after - before >= accepted,
                    # both include the warm-up second's requests: an upper bound
                    "server_cpu_ms_per_request": round(cpu * 1000 / max(len(ms), 1), 2),
                    "client_cpu_ms_per_request": round(own * 1000 / max(len(ms), 1), 2),
                    # seconds runnable without a core (summed over threads) per wall second
                    "server_run_queue_wait_share": round(wait / wall, 2),
                    "client_run_queue_wait_share": round(own_wait / wall, 2),
                }
                _say(f"webhook, {clients} client(s): {row}")
    return out


# ----------------------------------------------------------------------------- part 2


def _fake_title(i: int) -> tuple[str, int]:
    from benchmarks.movie_scan import title_of

    return title_of(i)


def _serve_fakes(movies: int, series: int, episodes: int, ports: Any) -> None:
    """In the child process: a FakeRadarr and a FakeSonarr, threaded, until killed."""
    import logging

    from pytest_httpserver import HTTPServer

    _fakes_importable()
    from fake_radarr import FakeRadarr, movie_resource
    from fake_sonarr import FakeSonarr, Show

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    library = {}
    for i in range(1, movies + 1):
        title, year = _fake_title(i)
        library[i] = movie_resource(i, 100_000 + i, title, year, file_id=i)
    shows = {}
    for i in range(1, series + 1):
        title, year = _fake_title(i)
        show = Show(i, 500_000 + i, 200_000 + i, f"{title} Show", year)
        for n in range(1, episodes + 1):
            episode_id = i * 1000 + n
            show.episode(episode_id, 1 + (n - 1) // 10, 1 + (n - 1) % 10, file_id=episode_id)
        shows[i] = show
    servers = []
    for _ in range(2):
        server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        server.start()
        servers.append(server)
    radarr = FakeRadarr(servers[0], library)
    sonarr = FakeSonarr(servers[1])
    sonarr.shows = shows
    ports.put((radarr.base_url, sonarr.base_url))
    while True:
        time.sleep(5)
        for server in servers:
            server.clear_log()  # the fake keeps every request otherwise
        radarr.requests.clear()
        sonarr.requests.clear()


def _sync(registry: Any, url: str, args: Any) -> tuple[float, dict[str, Any]]:
    from riverhost.testing import work_one_job
    from riverhost_media.arrtesting import forget_jobs

    forget_jobs(url)  # a sync is unique by args for 5 minutes
    began = time.perf_counter()
    run = asyncio.run(work_one_job(registry, url, args, timeout=3600))
    elapsed = time.perf_counter() - began
    if run.state != "completed":
        raise SystemExit(f"the sync ended {run.state}: {run.errors}")
    output: dict[str, Any] = run.output
    return elapsed, output


def _fetch_s(client_type: Any, base_url: str, api_key: str, call: str) -> float:
    async def fetch() -> float:
        async with client_type(base_url=base_url, api_key=api_key) as client:
            began = time.perf_counter()
            await getattr(client, call)()
            return time.perf_counter() - began

    return asyncio.run(fetch())


def _migrate(url: str, registry: Any) -> None:
    from riverhost.db.migrate import migrate

    migrate(url, lines=list(registry.migrations.values()))


def radarr_sync_part(server: str, base_url: str, options: argparse.Namespace) -> dict[str, Any]:
    _fakes_importable()
    from fake_radarr import API_KEY

    from riverhost_radarr.client import RadarrClient
    from riverhost_radarr.jobs import RadarrSyncArgs

    registry = _radarr_registry(base_url, API_KEY)
    out: dict[str, Any] = {"movies": options.movies}
    with scratch_database(server, "arr_radarr") as url:
        _migrate(url, registry)
        out["fetch_s"] = round(_fetch_s(RadarrClient, base_url, API_KEY, "movies"), 2)
        first_s, first = _sync(registry, url, RadarrSyncArgs(operation="full"))
        _say(f"radarr first sync: {first_s:.1f} s {_brief(first)}")
        again_s, again = _sync(registry, url, RadarrSyncArgs(operation="full"))
        _say(f"radarr unchanged sync: {again_s:.1f} s {_brief(again)}")
    out.update(
        first_sync_s=round(first_s, 2),
        first_sync_movies_per_s=round(options.movies / first_s, 1),
        first_sync=_brief(first),
        unchanged_sync_s=round(again_s, 2),
        unchanged_sync_movies_per_s=round(options.movies / again_s, 1),
        unchanged_sync=_brief(again),
    )
    return out


def sonarr_sync_part(server: str, base_url: str, options: argparse.Namespace) -> dict[str, Any]:
    _fakes_importable()
    from fake_sonarr import API_KEY

    from riverhost_sonarr.client import SonarrClient
    from riverhost_sonarr.jobs import SonarrSyncArgs

    registry = _sonarr_registry(base_url, API_KEY)
    out: dict[str, Any] = {"series": options.series, "episodes_per_series": options.episodes}
    with scratch_database(server, "arr_sonarr") as url:
        _migrate(url, registry)
        out["fetch_series_s"] = round(_fetch_s(SonarrClient, base_url, API_KEY, "all_series"), 2)
        first_s, first = _sync(registry, url, SonarrSyncArgs(operation="full"))
        _say(f"sonarr first sync: {first_s:.1f} s {_brief(first)}")
        again_s, again = _sync(registry, url, SonarrSyncArgs(operation="full"))
        _say(f"sonarr unchanged sync: {again_s:.1f} s {_brief(again)}")
    out.update(
        first_sync_s=round(first_s, 2),
        first_sync_series_per_s=round(options.series / first_s, 1),
        first_sync=_brief(first),
        unchanged_sync_s=round(again_s, 2),
        unchanged_sync_series_per_s=round(options.series / again_s, 1),
        unchanged_sync=_brief(again),
    )
    return out


def _brief(output: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in output.items() if k not in ("errors", "operation") and v != []}


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve"]:
        serve_forever(_radarr_registry(), argv[1], int(argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--movies", type=int, default=5000)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--skip-webhook", action="store_true")
    parser.add_argument("--skip-sync", action="store_true")
    parser.add_argument("--skip-sonarr", action="store_true")
    options = parser.parse_args(argv)
    from riverhost.logging import configure

    configure(level="warning", format="json")
    figures: dict[str, Any] = {}
    with server_url() as server:
        figures["machine"] = describe_machine(server)
        if not options.skip_webhook:
            figures["webhook"] = webhook_part(server, options)
        if not options.skip_sync:
            ports: multiprocessing.Queue[tuple[str, str]] = multiprocessing.Queue()
            series = 0 if options.skip_sonarr else options.series
            fake = multiprocessing.Process(
                target=_serve_fakes,
                args=(options.movies, series, options.episodes, ports),
                daemon=True,
            )
            fake.start()
            try:
                radarr_url, sonarr_url = ports.get(timeout=300)
                figures["radarr_sync"] = radarr_sync_part(server, radarr_url, options)
                if not options.skip_sonarr:
                    figures["sonarr_sync"] = sonarr_sync_part(server, sonarr_url, options)
            finally:
                fake.terminate()
    print(json.dumps(figures, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "arr-latest.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
