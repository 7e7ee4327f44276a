"""The movie plugin's library scan at scale: a first scan, then an unchanged rescan.

    python -m benchmarks.movie_scan                 # 20,000 files
    python -m benchmarks.movie_scan --files 2000    # a quick look

A synthetic library of empty files with realistic release names (scene names, ``Title (Year)``
folders, collections) is scanned through the real engine (``work_one_job``) with TMDb faked on
loopback in a child process (``riverhost_media.testing.FakeTmdb``, every title known). Probing
is off: the files are empty, and ffprobe's cost per real file is measured on its own. Printed
(and written to ``benchmarks/results/movie-scan-latest.json``):

- ``first_scan_files_per_s`` and where its time goes: walking (one stat per file), parsing
  (guessit, measured on a sample of the names), TMDb requests, the rest (matching, database);
- ``rescan_s``: an unchanged rescan (one stat per file, one query per batch, no TMDb call);
- ``peak_rss_mib`` after a scan of a tenth of the files and after the full one: flat memory
  means the two are close.

Uses ``RIVERHOST_DATABASE_URL`` or the embedded PostgreSQL, a scratch database per library.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks.bench import ROOT, scratch_database, server_url

ADJECTIVES = [
    "Silent",
    "Golden",
    "Broken",
    "Hidden",
    "Crimson",
    "Distant",
    "Frozen",
    "Burning",
    "Quiet",
    "Savage",
    "Gentle",
    "Hollow",
    "Endless",
    "Wild",
    "Bitter",
    "Lonely",
    "Restless",
    "Velvet",
    "Iron",
    "Scarlet",
    "Midnight",
    "Amber",
    "Wandering",
    "Shattered",
    "Fading",
    "Sacred",
    "Stolen",
    "Secret",
    "Electric",
    "Northern",
]
PLACES = [
    "River",
    "Garden",
    "Empire",
    "Harbor",
    "Mountain",
    "Forest",
    "Kingdom",
    "Desert",
    "Valley",
    "Island",
    "Tower",
    "Voyage",
    "Orchard",
    "Lantern",
    "Bridge",
    "Compass",
    "Meadow",
    "Canyon",
    "Glacier",
    "Citadel",
    "Prairie",
    "Lagoon",
    "Temple",
    "Highway",
    "Lighthouse",
    "Carnival",
    "Theater",
    "Monastery",
    "Factory",
    "Cathedral",
]
THINGS = [
    "Dreams",
    "Echoes",
    "Shadows",
    "Secrets",
    "Whispers",
    "Promises",
    "Memories",
    "Storms",
    "Tides",
    "Embers",
    "Ashes",
    "Letters",
    "Songs",
    "Wolves",
    "Ravens",
    "Horses",
    "Angels",
    "Ghosts",
    "Strangers",
    "Lovers",
    "Brothers",
    "Sisters",
    "Kings",
    "Thieves",
    "Hunters",
    "Sailors",
    "Dancers",
    "Pilgrims",
    "Rebels",
    "Giants",
]


def title_of(i: int) -> tuple[str, int]:
    """The i-th synthetic movie: a unique three-word title and a year."""
    a, rest = divmod(i, len(PLACES) * len(THINGS))
    p, t = divmod(rest, len(THINGS))
    return f"{ADJECTIVES[a % len(ADJECTIVES)]} {PLACES[p]} of {THINGS[t]}", 1950 + (i * 7) % 70


def file_name(i: int) -> str:
    title, year = title_of(i)
    dotted = title.replace(" ", ".")
    if i % 10 < 4:
        return f"{dotted}.{year}.1080p.BluRay.x264-GRP.mkv"
    if i % 10 < 7:
        return f"{title} ({year})/{title} ({year}).mkv"
    return f"Collection {i % 50}/{title} ({year}) [720p].mp4"


def make_library(root: Path, count: int) -> None:
    for i in range(count):
        path = root / file_name(i)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()


def _serve_tmdb(count: int, port: multiprocessing.Queue[int]) -> None:
    import logging

    from pytest_httpserver import HTTPServer

    from riverhost_media.testing import FakeTmdb, movie_body

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise
    movies = {}
    for i in range(count):
        title, year = title_of(i)
        movies[100_000 + i] = movie_body(
            100_000 + i, title, f"{year}-06-01", genres=((18, "Drama"),)
        )
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    FakeTmdb(server, movies)
    port.put(server.port)
    while True:
        time.sleep(5)
        server.clear_log()  # the fake keeps every request otherwise


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _scan(url: str, root: Path, base_url: str, concurrency: int) -> tuple[float, Any]:
    from riverhost.db.migrate import migrate
    from riverhost.registry import registry_from_objects
    from riverhost.testing import work_one_job
    from riverhost_media.testing import API_KEY
    from riverhost_movie import plugin
    from riverhost_movie.jobs import LibraryScanArgs

    settings = {
        "movie": {
            "libraries": [{"id": "bench", "paths": [str(root)], "probe": False}],
            "tmdb": {
                "api_key": API_KEY,
                "base_url": base_url,
                "languages": ["en"],
                "requests_per_window": 100_000,
                "window": "1s",
            },
            "scan_concurrency": concurrency,
        }
    }
    registry = registry_from_objects(("movie", plugin), settings=settings)
    migrate(url)
    args = LibraryScanArgs(scan_id=str(uuid.uuid4()), library_id="bench")
    start = time.perf_counter()
    run = asyncio.run(work_one_job(registry, url, args, timeout=1800))
    elapsed = time.perf_counter() - start
    if run.state != "completed":
        raise SystemExit(f"scan ended {run.state}: {run.errors}")
    return elapsed, run.output


def _walk_seconds(root: Path) -> float:
    from riverhost_media import walk

    start = time.perf_counter()
    for _ in walk([str(root)]):
        pass
    return time.perf_counter() - start


def _parse_ms(root: Path, count: int, sample: int = 500) -> float:
    from riverhost_media import parse_movie_path

    step = max(count // sample, 1)
    names = [str(root / file_name(i)) for i in range(0, count, step)]
    parse_movie_path(names[0])  # import guessit outside the measurement
    start = time.perf_counter()
    for name in names:
        parse_movie_path(name)
    return (time.perf_counter() - start) * 1000 / len(names)


def _probe_ms() -> float:
    from riverhost_media import probe
    from riverhost_media.testing import make_video

    with tempfile.TemporaryDirectory() as folder:
        path = make_video(Path(folder) / "Probe.Me.2001.mkv")
        start = time.perf_counter()
        for _ in range(10):
            asyncio.run(probe(path))
        return (time.perf_counter() - start) * 100


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=8)
    options = parser.parse_args(argv)
    from riverhost.logging import configure

    configure(level="warning", format="json")
    count = options.files
    ports: multiprocessing.Queue[int] = multiprocessing.Queue()
    fake = multiprocessing.Process(target=_serve_tmdb, args=(count, ports), daemon=True)
    fake.start()
    base_url = f"http://127.0.0.1:{ports.get(timeout=120)}/3"
    figures: dict[str, Any] = {"files": count, "concurrency": options.concurrency}
    try:
        with tempfile.TemporaryDirectory(prefix="movie-bench-") as folder, server_url() as server:
            small, big = Path(folder) / "small", Path(folder) / "big"
            make_library(small, count // 10)
            make_library(big, count)
            figures["rss_before_mib"] = round(_rss_mib(), 1)
            with scratch_database(server, "movie_small") as url:
                _scan(url, small, base_url, options.concurrency)
            figures["peak_rss_after_tenth_scan_mib"] = round(_rss_mib(), 1)
            with scratch_database(server, "movie_big") as url:
                first_s, first = _scan(url, big, base_url, options.concurrency)
                figures["peak_rss_after_full_scan_mib"] = round(_rss_mib(), 1)
                rescan_s, rescan = _scan(url, big, base_url, options.concurrency)
                figures["peak_rss_after_rescan_mib"] = round(_rss_mib(), 1)
            walk_s = _walk_seconds(big)
            parse_ms = _parse_ms(big, count)
            figures.update(
                first_scan_s=round(first_s, 1),
                first_scan_files_per_s=round(count / first_s, 1),
                first_scan_new_movies=first["new_movies"],
                first_scan_errors=first["errors_count"],
                first_scan_tmdb_requests=2 * first["new_movies"],
                walk_s=round(walk_s, 2),
                parse_ms_per_file=round(parse_ms, 2),
                parse_s_estimated=round(parse_ms * count / 1000, 1),
                rescan_s=round(rescan_s, 2),
                rescan_unchanged=rescan["unchanged"],
                probe_ms_per_real_file=round(_probe_ms(), 1),
                cpus=os.cpu_count(),
            )
    finally:
        fake.terminate()
    print(json.dumps(figures, indent=2))
    results = ROOT / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    (results / "movie-scan-latest.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
