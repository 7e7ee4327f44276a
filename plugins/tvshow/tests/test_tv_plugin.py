"""The plugin's declarations: kinds as the seeds have them, settings, schedules, migrations."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from riverhost.db.migrate import migrate
from riverhost.errors import RegistryError
from riverhost_media.testing import declared_kinds, schema_tables
from riverhost_tvshow import plugin
from riverhost_tvshow.jobs import (
    FileMatchArgs,
    LibraryScanArgs,
    MetadataRefreshArgs,
    SearchIndexArgs,
    SeriesRefreshArgs,
)


def test_the_five_kinds_are_declared_as_the_seeds_have_them(plugin_registry):
    registry = plugin_registry(("tvshow", plugin))

    assert declared_kinds(registry) == {
        "tvshow_library_scan": ("bulk", timedelta(minutes=30), 3, timedelta(minutes=10)),
        "tvshow_metadata_refresh": ("default", timedelta(minutes=15), 5, timedelta(minutes=30)),
        "tvshow_file_match": ("default", timedelta(minutes=5), 3, None),
        "tvshow_search_index": ("bulk", timedelta(minutes=10), 5, timedelta(minutes=5)),
        "tvshow_series_refresh": ("default", timedelta(minutes=10), 5, timedelta(minutes=30)),
    }


def test_args_read_the_seeds_json():
    series = uuid.uuid4()
    assert LibraryScanArgs.model_validate(
        {"paths": ["/tv"], "force": True, "library_id": "tv", "auto_create": True}
    ).paths == ["/tv"]
    assert (
        MetadataRefreshArgs.model_validate(
            {"series_id": str(series), "force": False, "refresh_images": False, "batch_size": 10}
        ).series_id
        == series
    )
    assert FileMatchArgs.model_validate(
        {"file_path": "/tv/a.mkv", "force_rematch": False, "auto_create": True}
    ).auto_create
    assert SearchIndexArgs.model_validate({"full_reindex": True}).full_reindex
    refresh = SeriesRefreshArgs.model_validate(
        {"series_id": str(series), "refresh_seasons": True, "refresh_episodes": True}
    )
    assert set(refresh.to_json()) == {
        "series_id",
        "tmdb_id",
        "refresh_seasons",
        "refresh_episodes",
        "languages",
    }


def test_a_library_with_a_scan_interval_is_scanned_periodically(plugin_registry):
    settings = {
        "tvshow": {
            "libraries": [
                {"id": "tv", "paths": ["/media/tv"], "scan_interval": "6h"},
                {"id": "kids", "paths": ["/media/kids"]},
            ]
        }
    }

    registry = plugin_registry(("tvshow", plugin), settings=settings)

    [periodic] = registry.periodic.values()
    assert periodic.spec.id == "tvshow_library_scan:tv"
    assert periodic.spec.every == timedelta(hours=6)
    assert periodic.spec.args.to_json()["auto_create"] is True


def test_bad_settings_are_refused_with_the_reason(plugin_registry):
    with pytest.raises(RegistryError, match="must be absolute"):
        plugin_registry(
            ("tvshow", plugin), settings={"tvshow": {"libraries": [{"id": "a", "paths": ["x"]}]}}
        )


def test_the_migrations_create_the_tvshow_schema(plugin_registry, database_url):
    registry = plugin_registry(("tvshow", plugin))

    migrate(database_url, lines=list(registry.migrations.values()))

    assert schema_tables(database_url, "tvshow") >= {
        "series",
        "seasons",
        "episodes",
        "episode_files",
        "series_credits",
        "series_genres",
        "networks",
        "series_networks",
        "library_scans",
    }
