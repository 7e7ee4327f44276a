"""Shared by the movie plugin's tests: a library of real release-named videos, settings, runs."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from riverhost.registry import registry_from_objects
from riverhost.testing import JobRun, work_one_job
from riverhost_media.testing import API_KEY, make_video
from riverhost_movie import plugin
from riverhost_movie.jobs import LibraryScanArgs

MATRIX = "The.Matrix.1999.1080p.BluRay.x264-GROUP.mkv"
AMELIE = "Amélie (2001)/Amélie (2001).mkv"


def build_library(root: Path) -> Path:
    """The Matrix and Amélie as real videos, plus a sample, a hidden folder, a text file and a
    symlink loop."""
    make_video(root / MATRIX)
    make_video(root / AMELIE)
    make_video(root / "The.Matrix.1999.1080p.BluRay.x264-GROUP-sample.mkv")
    make_video(root / ".hidden" / "Inception.2010.720p.mkv")
    (root / "notes.txt").write_text("not a video")
    (root / "loop").symlink_to(root, target_is_directory=True)
    return root


def settings(tmdb, *paths: Path | str, **library: object) -> dict[str, dict[str, object]]:
    return {
        "movie": {
            "libraries": [{"id": "films", "paths": [str(p) for p in paths], **library}],
            "tmdb": {
                "api_key": API_KEY,
                "base_url": tmdb.base_url,
                "languages": ["en", "de"],
                "retry_wait_max": "10ms",
            },
        }
    }


def run(url: str, config: dict[str, dict[str, object]], args) -> JobRun:
    registry = registry_from_objects(("movie", plugin), settings=config)
    return asyncio.run(work_one_job(registry, url, args))


def scan(url: str, config, **args: object) -> JobRun:
    """A scan job with a fresh scan_id (scans are unique by args for 10 minutes)."""
    args.setdefault("library_id", "films")
    return run(url, config, LibraryScanArgs(scan_id=str(uuid.uuid4()), **args))


def rows(url: str, query: str, *params: object) -> list[dict[str, object]]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(query, params).fetchall()
