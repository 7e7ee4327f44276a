"""Shared by the movie plugin's tests: a library of real release-named videos, settings, runs."""

from __future__ import annotations

import uuid
from pathlib import Path

from riverhost.testing import JobRun
from riverhost_media.testing import make_video, plugin_settings, run_job
from riverhost_media.testing import rows as rows  # the tests' own import of it
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
    return plugin_settings("movie", "films", tmdb, *paths, **library)


def run(url: str, config: dict[str, dict[str, object]], args) -> JobRun:
    return run_job("movie", plugin, url, config, args)


def scan(url: str, config, **args: object) -> JobRun:
    """A scan job with a fresh scan_id (scans are unique by args for 10 minutes)."""
    args.setdefault("library_id", "films")
    return run(url, config, LibraryScanArgs(scan_id=str(uuid.uuid4()), **args))
