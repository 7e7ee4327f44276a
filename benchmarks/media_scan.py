"""A media plugin's library scan at scale: a first scan, then an unchanged rescan.

    python -m benchmarks.media_scan --plugin movie            # 20,000 movie files
    python -m benchmarks.media_scan --plugin tvshow           # 20,000 episode files
    python -m benchmarks.media_scan --plugin tvshow --files 2000    # a quick look

(``python -m benchmarks.movie_scan`` is ``--plugin movie``.) A synthetic library of empty
files with realistic names is scanned through the real engine (``work_one_job``) with TMDb
faked on loopback in a child process (``riverhost_media.testing.FakeTmdb``, every title known):

- movie: scene names, ``Title (Year)`` folders, collections;
- tvshow: ``Show Name/Season 01/Show.Name.S01E02.720p...mkv``, Sonarr-style
  ``Show Name (2019)/Season 2/Show Name (2019) - S02E03 - Title [WEBDL-1080p].mkv``,
  ``Show Name - 3x04.mkv``, multi-episode files (``S01E01E02``), a few daily shows
  (``Show Name - 2024-03-01.mkv``) and specials in ``Specials/`` (season 0).

Probing is off: the files are empty, and ffprobe's cost per real file is measured on its own.
Printed (and written to ``benchmarks/results/<plugin>-scan-latest.json``):

- ``first_scan_files_per_s`` and where its time goes: walking (one stat per file), parsing
  (guessit, measured on a sample of the names), TMDb requests (counted by the fake), the rest
  (matching, database);
- ``rescan_s``: an unchanged rescan (one stat per file, one query per batch, no TMDb call);
- ``peak_rss_mib`` after a scan of a tenth of the files and after the full one: flat memory
  means the two are close.

Uses ``RIVERHOST_DATABASE_URL`` or the embedded PostgreSQL, a scratch database per library.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import multiprocessing
import os
import resource
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from multiprocessing.connection import Connection
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


def movie_file_name(i: int) -> str:
    title, year = title_of(i)
    dotted = title.replace(" ", ".")
    if i % 10 < 4:
        return f"{dotted}.{year}.1080p.BluRay.x264-GRP.mkv"
    if i % 10 < 7:
        return f"{title} ({year})/{title} ({year}).mkv"
    return f"Collection {i % 50}/{title} ({year}) [720p].mp4"


def movie_library(count: int) -> list[str]:
    return [movie_file_name(i) for i in range(count)]


def movie_fakes(count: int) -> tuple[dict[int, Any], dict[int, Any]]:
    from riverhost_media.testing import movie_body

    movies = {}
    for i in range(count):
        title, year = title_of(i)
        movies[100_000 + i] = movie_body(
            100_000 + i, title, f"{year}-06-01", genres=((18, "Drama"),)
        )
    return movies, {}


#: One series in this many is a daily show (files named by air date, one season a year).
DAILY_EVERY = 40

Episodes = dict[int, list[tuple[int, str, str]]]


@dataclass
class Show:
    """A synthetic series: its name, first year, TMDb seasons and files (relative paths)."""

    name: str
    year: int
    seasons: Episodes = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


def show_of(s: int) -> Show:
    """The s-th synthetic series (5 to 9 seasons' worth of files on average)."""
    a, p = divmod(s, len(PLACES))
    name = f"{ADJECTIVES[a % len(ADJECTIVES)]} {PLACES[p]}"
    if s >= len(ADJECTIVES) * len(PLACES):
        name += f" of {THINGS[(s // (len(ADJECTIVES) * len(PLACES))) % len(THINGS)]}"
    show = Show(name, 1990 + (s * 7) % 30)
    if s % DAILY_EVERY == DAILY_EVERY - 1:
        season = 2024 - show.year + 1
        show.seasons[season] = []
        for n in range(1, 61):
            aired = date(2024, 1, 1) + timedelta(days=n - 1)
            show.seasons[season].append((n, f"Guest {n}", aired.isoformat()))
            show.files.append(f"{name}/{name} - {aired.isoformat()}.mkv")
        return show
    style = s % 10  # 0-5 scene names, 6-7 Sonarr names under "Name (Year)", 8-9 "3x04"
    folder = f"{name} ({show.year})" if style in (6, 7) else name
    dotted = name.replace(" ", ".")
    for season in range(1, 3 + s % 7):
        per = 8 + (s + season) % 5
        first = date(show.year + season - 1, 9, 1)
        show.seasons[season] = [
            (e, THINGS[(s + season + e) % len(THINGS)], str(first + timedelta(weeks=e - 1)))
            for e in range(1, per + 1)
        ]
        season_folder = f"Season {season:02d}" if style < 6 else f"Season {season}"
        e = 1
        while e <= per:
            double = e == 1 and (s + season) % 4 == 0  # a two-episode pilot
            code = f"S{season:02d}E{e:02d}" + (f"E{e + 1:02d}" if double else "")
            if style < 6:
                base = f"{dotted}.{code}.720p.WEB-DL.x264-GRP.mkv"
            elif style < 8:
                title = show.seasons[season][e - 1][1]
                base = f"{name} ({show.year}) - {code} - {title} [WEBDL-1080p].mkv"
            elif double:
                base = f"{name} - {code}.mkv"
            else:
                base = f"{name} - {season}x{e:02d}.mkv"
            show.files.append(f"{folder}/{season_folder}/{base}")
            e += 2 if double else 1
    if s % 3 == 0:
        show.seasons[0] = [(n, f"Special {n}", f"{show.year + 1}-12-2{n}") for n in (1, 2)]
        show.files += [f"{folder}/Specials/{name} - S00E0{n}.mkv" for n in (1, 2)]
    return show


def shows(count: int) -> list[Show]:
    """As many series as ``count`` episode files need (the last one's files cut short)."""
    found, total = [], 0
    while total < count:
        show = show_of(len(found))
        found.append(show)
        total += len(show.files)
    return found


def tvshow_library(count: int) -> list[str]:
    return [path for show in shows(count) for path in show.files][:count]


def tvshow_fakes(count: int) -> tuple[dict[int, Any], dict[int, Any]]:
    from riverhost_media.testing import series_body

    series = {
        200_000 + s: series_body(200_000 + s, show.name, f"{show.year}-09-01", show.seasons)
        for s, show in enumerate(shows(count))
    }
    return {}, series


@dataclass(frozen=True)
class Plugin:
    """What the harness needs to know of a media plugin."""

    name: str  # its registry name and settings section; its package is riverhost_<name>
    library: Callable[[int], list[str]]  # the relative paths of ``count`` files
    fakes: Callable[[int], tuple[dict[int, Any], dict[int, Any]]]  # FakeTmdb's movies, series
    parser: str  # the riverhost_media function parsing a path
    created: str  # the scan output's count of what it created
    scan_args: dict[str, Any] = field(default_factory=dict)


PLUGINS = {
    "movie": Plugin("movie", movie_library, movie_fakes, "parse_movie_path", "new_movies"),
    "tvshow": Plugin(
        "tvshow",
        tvshow_library,
        tvshow_fakes,
        "parse_episode_path",
        "new_series",
        {"auto_create": True},
    ),
}


def make_library(root: Path, paths: list[str]) -> None:
    for name in paths:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()


def _serve_tmdb(plugin: str, count: int, conn: Connection) -> None:
    import logging

    from pytest_httpserver import HTTPServer

    from riverhost_media.testing import FakeTmdb

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise
    movies, series = PLUGINS[plugin].fakes(count)
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    fake = FakeTmdb(server, movies, series)
    conn.send(server.port)
    while True:
        if conn.poll(5):
            conn.recv()
            conn.send(fake.count())  # requests answered so far
        server.clear_log()  # the fake keeps every request otherwise


class Tmdb:
    """The fake TMDb in a child process: its base URL, and how many requests it answered."""

    def __init__(self, plugin: str, count: int) -> None:
        self._conn, child = multiprocessing.Pipe()
        self._process = multiprocessing.Process(
            target=_serve_tmdb, args=(plugin, count, child), daemon=True
        )
        self._process.start()
        if not self._conn.poll(300):
            raise SystemExit("the TMDb fake did not start")
        self.base_url = f"http://127.0.0.1:{self._conn.recv()}/3"

    def requests(self) -> int:
        self._conn.send("count")
        return int(self._conn.recv())

    def stop(self) -> None:
        self._process.terminate()


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _scan(
    plugin: Plugin, url: str, root: Path, base_url: str, concurrency: int
) -> tuple[float, Any]:
    from riverhost.db.migrate import migrate
    from riverhost.registry import registry_from_objects
    from riverhost.testing import work_one_job
    from riverhost_media.testing import API_KEY

    package = importlib.import_module(f"riverhost_{plugin.name}.plugin")
    jobs = importlib.import_module(f"riverhost_{plugin.name}.jobs")
    settings = {
        plugin.name: {
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
    registry = registry_from_objects((plugin.name, package), settings=settings)
    migrate(url)
    args = jobs.LibraryScanArgs(scan_id=str(uuid.uuid4()), library_id="bench", **plugin.scan_args)
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


def _parse_ms(plugin: Plugin, root: Path, paths: list[str], sample: int = 500) -> float:
    import riverhost_media

    parse = getattr(riverhost_media, plugin.parser)
    step = max(len(paths) // sample, 1)
    names = [str(root / path) for path in paths[::step]]
    parse(names[0])  # import guessit outside the measurement
    start = time.perf_counter()
    for name in names:
        parse(name)
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
    parser.add_argument("--plugin", choices=sorted(PLUGINS), default="movie")
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=8)
    options = parser.parse_args(argv)
    from riverhost.logging import configure

    configure(level="warning", format="json")
    plugin = PLUGINS[options.plugin]
    count = options.files
    paths = plugin.library(count)
    tmdb = Tmdb(plugin.name, count)
    figures: dict[str, Any] = {
        "plugin": plugin.name,
        "files": len(paths),
        "concurrency": options.concurrency,
    }
    try:
        with (
            tempfile.TemporaryDirectory(prefix=f"{plugin.name}-bench-") as folder,
            server_url() as server,
        ):
            small, big = Path(folder) / "small", Path(folder) / "big"
            make_library(small, plugin.library(count // 10))
            make_library(big, paths)
            figures["rss_before_mib"] = round(_rss_mib(), 1)
            with scratch_database(server, f"{plugin.name}_small") as url:
                _scan(plugin, url, small, tmdb.base_url, options.concurrency)
            figures["peak_rss_after_tenth_scan_mib"] = round(_rss_mib(), 1)
            with scratch_database(server, f"{plugin.name}_big") as url:
                before = tmdb.requests()
                first_s, first = _scan(plugin, url, big, tmdb.base_url, options.concurrency)
                first_requests = tmdb.requests() - before
                figures["peak_rss_after_full_scan_mib"] = round(_rss_mib(), 1)
                rescan_s, rescan = _scan(plugin, url, big, tmdb.base_url, options.concurrency)
                rescan_requests = tmdb.requests() - before - first_requests
                figures["peak_rss_after_rescan_mib"] = round(_rss_mib(), 1)
            walk_s = _walk_seconds(big)
            parse_ms = _parse_ms(plugin, big, paths)
            figures.update(
                first_scan_s=round(first_s, 1),
                first_scan_files_per_s=round(len(paths) / first_s, 1),
                **{f"first_scan_{plugin.created}": first[plugin.created]},
                first_scan_added=first["added"],
                first_scan_unmatched=first["unmatched"],
                first_scan_errors=first["errors_count"],
                first_scan_first_errors=first["errors"][:3],
                first_scan_tmdb_requests=first_requests,
                walk_s=round(walk_s, 2),
                parse_ms_per_file=round(parse_ms, 2),
                parse_s_estimated=round(parse_ms * len(paths) / 1000, 1),
                rescan_s=round(rescan_s, 2),
                rescan_unchanged=rescan["unchanged"],
                rescan_tmdb_requests=rescan_requests,
                probe_ms_per_real_file=round(_probe_ms(), 1),
                cpus=os.cpu_count(),
            )
    finally:
        tmdb.stop()
    print(json.dumps(figures, indent=2))
    results = ROOT / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    (results / f"{plugin.name}-scan-latest.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
