"""Shared by the TV plugin's tests: a library of real episode videos, settings, runs."""

from __future__ import annotations

import uuid
from pathlib import Path

from riverhost.testing import JobRun
from riverhost_media.testing import make_video, plugin_settings, run_job
from riverhost_media.testing import rows as rows  # the tests' own import of it
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
    return plugin_settings("tvshow", "tv", tmdb, *paths, **library)


def run(url: str, config: dict[str, dict[str, object]], args) -> JobRun:
    return run_job("tvshow", plugin, url, config, args)


def scan(url: str, config, **args: object) -> JobRun:
    """A scan job with a fresh scan_id (scans are unique by args for 10 minutes)."""
    args.setdefault("library_id", "tv")
    args.setdefault("auto_create", True)
    return run(url, config, LibraryScanArgs(scan_id=str(uuid.uuid4()), **args))
