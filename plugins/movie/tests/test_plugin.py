"""The plugin's declarations: kinds as the seeds have them, settings, schedules, migrations."""

from __future__ import annotations

from datetime import timedelta

import pytest

from riverhost.db.migrate import migrate
from riverhost.errors import RegistryError
from riverhost_media.testing import declared_kinds, schema_tables
from riverhost_movie import plugin
from riverhost_movie.jobs import LibraryScanArgs, SearchIndexArgs


def test_the_four_kinds_are_declared_as_the_seeds_have_them(plugin_registry):
    registry = plugin_registry(("movie", plugin))

    assert declared_kinds(registry) == {
        "movie_library_scan": ("bulk", timedelta(minutes=30), 3, timedelta(minutes=10)),
        "metadata_refresh_movie": ("default", timedelta(minutes=5), 5, timedelta(minutes=30)),
        "movie_file_match": ("default", timedelta(minutes=5), 3, None),
        "movie_search_index": ("default", timedelta(minutes=15), 5, timedelta(minutes=5)),
    }


def test_args_keep_the_seeds_json_field_names():
    assert LibraryScanArgs(library_id="films").to_json() == {
        "scan_id": "",
        "library_id": "films",
        "paths": None,
        "force": False,
    }
    assert SearchIndexArgs.model_validate({"operation": "reindex", "movie_id": None}).to_json() == {
        "operation": "reindex",
        "movie_id": "00000000-0000-0000-0000-000000000000",
    }


def test_a_library_with_a_scan_interval_is_scanned_periodically(plugin_registry):
    settings = {
        "movie": {
            "libraries": [
                {"id": "films", "paths": ["/media/movies"], "scan_interval": "6h"},
                {"id": "kids", "paths": ["/media/kids"]},
            ]
        }
    }

    registry = plugin_registry(("movie", plugin), settings=settings)

    periodic = list(registry.periodic.values())
    assert len(periodic) == 1
    job = periodic[0].spec
    assert job.id == "movie_library_scan:films"
    assert job.every == timedelta(hours=6)
    assert job.args.to_json()["library_id"] == "films"


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"libraries": [{"id": "a", "paths": ["relative/path"]}]}, "must be absolute"),
        (
            {"libraries": [{"id": "a", "paths": ["/x"]}, {"id": "a", "paths": ["/y"]}]},
            "library ids must be unique",
        ),
        ({"search": {"backend": "typesense"}}, "needs a typesense section"),
        ({"tmdb": {"languages": ["english"]}}, "'english' is not a language code"),
    ],
)
def test_bad_settings_are_refused_with_the_reason(plugin_registry, section, expected):
    with pytest.raises(RegistryError, match=expected):
        plugin_registry(("movie", plugin), settings={"movie": section})


def test_the_migrations_create_the_movie_schema(plugin_registry, database_url):
    registry = plugin_registry(("movie", plugin))

    migrate(database_url, lines=list(registry.migrations.values()))

    assert schema_tables(database_url, "movie") >= {
        "movies",
        "movie_files",
        "movie_credits",
        "movie_genres",
        "library_scans",
        "search_documents",
    }
