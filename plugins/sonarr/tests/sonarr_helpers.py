"""Shared by the sonarr plugin's tests: settings, the two plugins, runs."""

from __future__ import annotations

import asyncio
from typing import Any

from fake_sonarr import API_KEY

from riverhost.db.migrate import migrate
from riverhost.registry import registry_from_objects
from riverhost_sonarr import plugin
from riverhost_tvshow import plugin as tvshow_plugin

SECRET = "sonarr-webhook-secret"
PLUGINS = [("tvshow", tvshow_plugin), ("sonarr", plugin)]


def settings(sonarr, **extra: Any) -> dict[str, dict[str, Any]]:
    section = {
        "base_url": sonarr.base_url,
        "api_key": API_KEY,
        "webhook_secret": SECRET,
        "retry_wait_max": "10ms",
        "requests_per_second": 100,
        "burst": 100,
        **extra,
    }
    return {"sonarr": section}


def migrated(url: str, sonarr) -> None:
    """Run the tvshow plugin's migrations now, before a test writes rows."""
    registry = registry_from_objects(*PLUGINS, settings=settings(sonarr))
    migrate(url, lines=list(registry.migrations.values()))


def run(run_job, sonarr, args, **extra: Any):
    return asyncio.run(run_job(PLUGINS, args, settings=settings(sonarr, **extra)))
