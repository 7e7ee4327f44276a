"""Shared by the TV plugin's tests: a library of real episode videos, settings, runs."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from riverhost.registry import registry_from_objects
from riverhost.testing import JobRun, work_one_job
from riverhost_media.testing import API_KEY, make_video
from riverhost_tvshow import plugin
from riverhost_tvshow.jobs import LibraryScanArgs

PILOT = "Breaking Bad/Season 01/Breaking.Bad.S01E01.Pilot.720p.WEB-DL.mkv"
DOUBLE = "Breaking Bad/Season 01/Breaking.Bad.S01E02E03.720p.mkv"
CROSSED = "Breaking Bad/Season 02/Breaking Bad - 2x01 - Seven Thirty-Seven.mkv"
SPECIAL = "Breaking Bad/Specials/Breaking Bad - S00E01.mkv"
DAILY = "The Daily Show/The Daily Show - 2024-03-04.mkv"
ANIME = "Frieren/[SubsPlease] Frieren - 12 (1080p) [ABCDEF12].mkv"
ALL = (PILOT, DOUBLE, CROSSED, SPECIAL, DAILY, ANIME)


def build_library(root: Path) -> Path:
    """Three series as real videos under realistic names and folders, plus clutter."""
    for name in ALL:
        make_video(root / name)
    (root / "Breaking Bad" / "notes.txt").write_text("not a video")
    make_video(root / ".hidden" / "Breaking.Bad.S02E01.mkv")
    return root


def settings(tmdb, *paths: Path | str, **library: object) -> dict[str, dict[str, object]]:
    return {
        "tvshow": {
            "libraries": [{"id": "tv", "paths": [str(p) for p in paths], **library}],
            "tmdb": {
                "api_key": API_KEY,
                "base_url": tmdb.base_url,
                "languages": ["en", "de"],
                "retry_wait_max": "10ms",
            },
        }
    }


def run(url: str, config: dict[str, dict[str, object]], args) -> JobRun:
    registry = registry_from_objects(("tvshow", plugin), settings=config)
    return asyncio.run(work_one_job(registry, url, args))


def scan(url: str, config, **args: object) -> JobRun:
    """A scan job with a fresh scan_id (scans are unique by args for 10 minutes)."""
    args.setdefault("library_id", "tv")
    args.setdefault("auto_create", True)
    return run(url, config, LibraryScanArgs(scan_id=str(uuid.uuid4()), **args))


def rows(url: str, query: str, *params: object) -> list[dict[str, object]]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(query, params).fetchall()
