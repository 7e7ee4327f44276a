"""Shared by the radarr plugin's tests: settings, the two plugins, runs and rows."""

from __future__ import annotations

import asyncio
from typing import Any

from fake_radarr import API_KEY

from riverhost.db.migrate import migrate
from riverhost.registry import registry_from_objects
from riverhost_movie import plugin as movie_plugin
from riverhost_radarr import plugin

SECRET = "radarr-webhook-secret"
PLUGINS = [("movie", movie_plugin), ("radarr", plugin)]


def settings(radarr, **extra: Any) -> dict[str, dict[str, Any]]:
    section = {
        "base_url": radarr.base_url,
        "api_key": API_KEY,
        "webhook_secret": SECRET,
        "retry_wait_max": "10ms",
        **extra,
    }
    return {"radarr": section}


def migrated(url: str, radarr) -> None:
    """Run the movie plugin's (and any radarr) migrations now, before a test writes rows."""
    registry = registry_from_objects(*PLUGINS, settings=settings(radarr))
    migrate(url, lines=list(registry.migrations.values()))


def run(run_job, radarr, args, **extra: Any):
    return asyncio.run(run_job(PLUGINS, args, settings=settings(radarr, **extra)))
