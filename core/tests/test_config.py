"""The host's configuration: defaults, the YAML file, the environment, and how errors read."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from riverhost.config import JobsConfig, QueueConfig, RiverhostConfig, load_config
from riverhost.errors import ConfigError, ConfigFileError

SEED_QUEUES = {"critical": 20, "high": 15, "default": 10, "low": 5, "bulk": 3}


@pytest.fixture(autouse=True)
def _in_empty_directory(tmp_path, monkeypatch):
    # No stray ./riverhost.yaml from wherever pytest was started.
    monkeypatch.chdir(tmp_path)


def write_config(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems_of(caught: pytest.ExceptionInfo[ConfigError]) -> dict[str, tuple[object, str, str]]:
    return {p.path: (p.value, p.source, p.message) for p in caught.value.problems}


# --------------------------------------------------------------------------- defaults


def test_defaults_are_the_seeds_values():
    config = load_config(environ={})

    assert config.jobs.max_workers == 10
    assert config.jobs.max_attempts == 25
    assert config.jobs.fetch_cooldown == timedelta(milliseconds=100)
    assert config.jobs.poll_interval == timedelta(seconds=1)
    assert config.jobs.shutdown_timeout == timedelta(seconds=30)


def test_default_queues_are_the_seeds_five_with_their_worker_counts():
    config = load_config(environ={})

    assert config.jobs.queue_workers() == SEED_QUEUES


def test_queue_workers_gives_a_queue_without_its_own_count_jobs_max_workers():
    jobs = JobsConfig(
        max_workers=7, queues={"media": QueueConfig(), "bulk": QueueConfig(max_workers=2)}
    )

    assert jobs.queue_workers() == {"media": 7, "bulk": 2}


def test_defaults_load_every_plugin_and_use_the_embedded_database():
    config = load_config(environ={})

    assert config.plugins.enabled is None
    assert config.plugins.disabled == []
    assert config.plugins.sections() == {}
    assert config.database.url is None


def test_every_value_comes_from_default_without_file_or_env():
    config = load_config(environ={})

    assert {source for _, _, source in config.effective()} == {"default"}


# --------------------------------------------------------------------------- file


def test_file_values_override_the_defaults(tmp_path):
    path = write_config(
        tmp_path,
        """
        jobs:
          max_workers: 4
          max_attempts: 3
          fetch_cooldown: 250ms
          poll_interval: 2
          shutdown_timeout: 1m30s
        logging:
          level: debug
        """,
    )

    config = load_config(path, environ={})

    assert config.jobs.max_workers == 4
    assert config.jobs.max_attempts == 3
    assert config.jobs.fetch_cooldown == timedelta(milliseconds=250)
    assert config.jobs.poll_interval == timedelta(seconds=2)
    assert config.jobs.shutdown_timeout == timedelta(seconds=90)
    assert config.logging.level == "debug"


def test_source_of_a_file_value_is_the_file_and_its_line(tmp_path):
    path = write_config(tmp_path, "# riverhost\njobs:\n  max_workers: 4\n")

    config = load_config(path, environ={})

    assert config.source_of("jobs.max_workers") == f"{path}:3"
    assert config.source_of("jobs.max_attempts") == "default"


def test_one_queue_in_the_file_keeps_the_other_four_defaults(tmp_path):
    path = write_config(
        tmp_path,
        """
        jobs:
          queues:
            bulk:
              max_workers: 7
        """,
    )

    config = load_config(path, environ={})

    assert config.jobs.queue_workers() == {**SEED_QUEUES, "bulk": 7}
    assert config.source_of("jobs.queues.bulk.max_workers") == f"{path}:4"
    assert config.source_of("jobs.queues.critical.max_workers") == "default"


def test_a_new_queue_in_the_file_is_added_next_to_the_defaults(tmp_path):
    path = write_config(tmp_path, "jobs:\n  queues:\n    media:\n      max_workers: 2\n")

    config = load_config(path, environ={})

    assert config.jobs.queue_workers() == {**SEED_QUEUES, "media": 2}


def test_a_queue_given_without_settings_gets_jobs_max_workers(tmp_path):
    path = write_config(tmp_path, "jobs:\n  max_workers: 6\n  queues:\n    media:\n")

    config = load_config(path, environ={})

    assert config.jobs.queue_workers()["media"] == 6


def test_a_section_with_everything_commented_out_keeps_its_defaults(tmp_path):
    path = write_config(tmp_path, "jobs:\n  # max_workers: 4\nlogging:\n")

    config = load_config(path, environ={})

    assert config == RiverhostConfig()


def test_an_empty_file_gives_the_defaults(tmp_path):
    path = write_config(tmp_path, "# nothing yet\n")

    config = load_config(path, environ={})

    assert config == RiverhostConfig()


# --------------------------------------------------------------------------- environment


def test_env_overrides_the_file(tmp_path):
    path = write_config(tmp_path, "jobs:\n  max_workers: 4\n")

    config = load_config(path, environ={"RIVER_WORKERS": "6"})

    assert config.jobs.max_workers == 6
    assert config.source_of("jobs.max_workers") == "env RIVER_WORKERS"


@pytest.mark.parametrize(
    ("name", "raw", "attribute", "expected"),
    [
        ("RIVER_WORKERS", "12", "max_workers", 12),
        ("RIVER_MAX_ATTEMPTS", "5", "max_attempts", 5),
        ("RIVER_POLL_INTERVAL", "500ms", "poll_interval", timedelta(milliseconds=500)),
        ("RIVER_SHUTDOWN_TIMEOUT", "2m", "shutdown_timeout", timedelta(minutes=2)),
    ],
)
def test_seed_env_names_set_the_jobs_keys(name, raw, attribute, expected):
    config = load_config(environ={name: raw})

    assert getattr(config.jobs, attribute) == expected
    assert config.source_of(f"jobs.{attribute}") == f"env {name}"


def test_riverhost_variable_with_double_underscores_sets_a_nested_key():
    config = load_config(environ={"RIVERHOST_JOBS__QUEUES__BULK__MAX_WORKERS": "9"})

    assert config.jobs.queue_workers() == {**SEED_QUEUES, "bulk": 9}
    assert config.source_of("jobs.queues.bulk.max_workers") == (
        "env RIVERHOST_JOBS__QUEUES__BULK__MAX_WORKERS"
    )


def test_riverhost_variable_wins_over_the_seed_variable_for_the_same_key():
    environ = {"RIVER_WORKERS": "6", "RIVERHOST_JOBS__MAX_WORKERS": "8"}

    config = load_config(environ=environ)

    assert config.jobs.max_workers == 8


def test_a_mapping_in_one_variable_merges_like_the_same_mapping_in_the_file():
    environ = {"RIVERHOST_JOBS__QUEUES": '{"media": {"max_workers": 2}}'}

    config = load_config(environ=environ)

    assert config.jobs.queue_workers() == {**SEED_QUEUES, "media": 2}


def test_load_plugins_unset_loads_every_plugin():
    config = load_config(environ={})

    assert config.plugins.enabled is None


def test_load_plugins_empty_loads_no_plugin():
    config = load_config(environ={"RIVERHOST_LOAD_PLUGINS": ""})

    assert config.plugins.enabled == []
    assert config.source_of("plugins.enabled") == "env RIVERHOST_LOAD_PLUGINS"


def test_load_plugins_is_split_on_commas_with_whitespace_trimmed():
    config = load_config(environ={"RIVERHOST_LOAD_PLUGINS": " a, b ,"})

    assert config.plugins.enabled == ["a", "b"]


def test_disabled_plugins_is_read_as_a_list():
    config = load_config(environ={"RIVERHOST_DISABLED_PLUGINS": "acme,movie"})

    assert config.plugins.disabled == ["acme", "movie"]
    assert config.source_of("plugins.disabled") == "env RIVERHOST_DISABLED_PLUGINS"


def test_database_url_is_read_from_the_environment(tmp_path):
    path = write_config(tmp_path, "database:\n  url: postgresql://file/db\n")

    config = load_config(path, environ={"RIVERHOST_DATABASE_URL": "postgresql://env/db"})

    assert config.database.url == "postgresql://env/db"
    assert config.source_of("database.url") == "env RIVERHOST_DATABASE_URL"


def test_process_environment_is_read_when_no_environ_is_given(monkeypatch):
    monkeypatch.setenv("RIVER_MAX_ATTEMPTS", "7")

    config = load_config()

    assert config.jobs.max_attempts == 7


def test_overrides_win_over_file_and_env(tmp_path):
    path = write_config(tmp_path, "jobs:\n  max_workers: 4\n")

    config = load_config(
        path,
        environ={"RIVER_WORKERS": "6"},
        overrides={("jobs", "max_workers"): (12, "--max-workers")},
    )

    assert config.jobs.max_workers == 12
    assert config.source_of("jobs.max_workers") == "--max-workers"


# --------------------------------------------------------------------------- bad values


def test_bad_values_in_file_and_env_are_reported_together_in_one_error(tmp_path):
    path = write_config(
        tmp_path,
        """
        jobs:
          max_workers: 0
          poll_interval: soon
        """,
    )
    environ = {
        "RIVER_MAX_ATTEMPTS": "lots",
        "RIVERHOST_JOBS__QUEUES__BULK__MAX_WORKERS": "-1",
    }

    with pytest.raises(ConfigError) as caught:
        load_config(path, environ=environ)

    found = {(p.path, p.value, p.source) for p in caught.value.problems}
    assert found == {
        ("jobs.max_workers", 0, f"{path}:2"),
        ("jobs.poll_interval", "soon", f"{path}:3"),
        ("jobs.max_attempts", "lots", "env RIVER_MAX_ATTEMPTS"),
        ("jobs.queues.bulk.max_workers", "-1", "env RIVERHOST_JOBS__QUEUES__BULK__MAX_WORKERS"),
    }


def test_error_message_names_each_path_value_and_source(tmp_path):
    path = write_config(tmp_path, "jobs:\n  max_workers: 0\n")

    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={"RIVER_MAX_ATTEMPTS": "lots"})

    message = str(caught.value)
    assert message.startswith("invalid configuration (2 problems):")
    assert f"jobs.max_workers = 0 (from {path}:2)" in message
    assert "jobs.max_attempts = 'lots' (from env RIVER_MAX_ATTEMPTS)" in message


def test_unknown_key_in_the_file_is_reported_with_its_path_and_a_suggestion(tmp_path):
    path = write_config(tmp_path, "jobs:\n  max_worker: 3\n")

    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})

    assert problems_of(caught) == {
        "jobs.max_worker": (3, f"{path}:2", "unknown key; did you mean 'max_workers'?")
    }


def test_unknown_section_is_reported_not_dropped(tmp_path):
    path = write_config(tmp_path, "workers:\n  count: 3\n")

    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})

    value, source, message = problems_of(caught)["workers"]
    assert value == {"count": 3}
    assert source == f"{path}:2"
    assert message.startswith("unknown key")
    assert "database, jobs, maintenance, metrics, http, plugins, logging" in message


def test_unknown_key_in_the_environment_is_reported_with_the_variable():
    with pytest.raises(ConfigError) as caught:
        load_config(environ={"RIVERHOST_JOBS__QUEUES__BULK__WORKERS": "3"})

    value, source, message = problems_of(caught)["jobs.queues.bulk.workers"]
    assert (value, source) == ("3", "env RIVERHOST_JOBS__QUEUES__BULK__WORKERS")
    assert message.startswith("unknown key")


def test_riverhost_variable_with_an_empty_key_is_reported():
    with pytest.raises(ConfigError) as caught:
        load_config(environ={"RIVERHOST_JOBS__": "3"})

    assert problems_of(caught)["RIVERHOST_JOBS__"][1] == "env RIVERHOST_JOBS__"


def test_duplicate_key_in_the_file_is_reported_with_both_lines(tmp_path):
    path = write_config(tmp_path, "jobs:\n  max_workers: 4\n  max_workers: 5\n")

    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})

    value, source, message = problems_of(caught)["jobs.max_workers"]
    assert (value, source) == (5, f"{path}:3")
    assert "duplicate key" in message
    assert "line 2" in message


@pytest.mark.parametrize(
    "url",
    [
        "notaurl",
        "mysql://app:secret@db.example:3306/jobs",
        "http://app:secret@db.example/jobs",
        "postgresql://app:secret@db.example:notaport/jobs",
    ],
)
def test_a_malformed_database_url_is_refused_naming_the_form_with_the_password_masked(url):
    with pytest.raises(ConfigError) as caught:
        load_config(environ={"RIVERHOST_DATABASE_URL": url})

    value, source, message = problems_of(caught)["database.url"]
    assert source == "env RIVERHOST_DATABASE_URL"
    assert "postgresql://user@host:port/db" in message
    assert "secret" not in str(caught.value)
    assert "secret" not in str(value)


def test_a_malformed_database_url_in_the_file_names_its_line(tmp_path):
    path = write_config(tmp_path, "jobs:\n  max_workers: 3\ndatabase:\n  url: notaurl\n")

    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})

    assert problems_of(caught)["database.url"][:2] == ("notaurl", f"{path}:4")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://app:secret@db.example:5432/jobs",
        "postgres://db.example/jobs",
        "postgresql:///jobs?host=/run/postgresql",
        "host=db.example port=5432 dbname=jobs user=app password=secret",
    ],
)
def test_database_urls_psycopg_accepts_are_accepted(url):
    config = load_config(environ={"RIVERHOST_DATABASE_URL": url})

    assert config.database.url == url


def test_bad_duration_names_the_accepted_forms(tmp_path):
    path = write_config(tmp_path, "jobs:\n  fetch_cooldown: 5x\n")

    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})

    value, source, message = problems_of(caught)["jobs.fetch_cooldown"]
    assert (value, source) == ("5x", f"{path}:2")
    assert "'100ms'" in message
    assert "us, ms, s, m, h, d" in message


@pytest.mark.parametrize("key", ["fetch_cooldown", "poll_interval"])
def test_polling_durations_below_a_millisecond_are_refused(key):
    with pytest.raises(ConfigError) as caught:
        load_config(environ={f"RIVERHOST_JOBS__{key.upper()}": "0s"})

    assert "at least 1ms" in problems_of(caught)[f"jobs.{key}"][2]


def test_negative_shutdown_timeout_is_refused():
    with pytest.raises(ConfigError) as caught:
        load_config(environ={"RIVER_SHUTDOWN_TIMEOUT": "-5s"})

    assert "must not be negative" in problems_of(caught)["jobs.shutdown_timeout"][2]


def test_zero_shutdown_timeout_is_accepted():
    config = load_config(environ={"RIVER_SHUTDOWN_TIMEOUT": "0"})

    assert config.jobs.shutdown_timeout == timedelta(0)


def test_every_bad_queue_name_is_reported_with_its_own_path(tmp_path):
    path = write_config(
        tmp_path,
        """
        jobs:
          queues:
            Media:
              max_workers: 2
            a__b:
              max_workers: 2
        """,
    )

    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})

    problems = problems_of(caught)
    assert set(problems) == {"jobs.queues.Media", "jobs.queues.a__b"}
    assert problems["jobs.queues.Media"][:2] == ("Media", f"{path}:4")
    assert "River's rule" in problems["jobs.queues.a__b"][2]


@pytest.mark.parametrize("count", [0, -1])
@pytest.mark.parametrize("key", ["jobs.max_workers", "jobs.queues.low.max_workers"])
def test_non_positive_worker_counts_are_refused(key, count):
    with pytest.raises(ConfigError) as caught:
        load_config(environ={}, overrides={tuple(key.split(".")): (count, "test")})

    assert problems_of(caught)[key] == (count, "test", "Input should be greater than or equal to 1")


def test_a_boolean_worker_count_is_refused_not_read_as_one(tmp_path):
    path = write_config(tmp_path, "jobs:\n  max_workers: yes\n")

    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})

    assert problems_of(caught)["jobs.max_workers"][:2] == (True, f"{path}:2")


def test_max_attempts_above_what_river_stores_is_refused():
    with pytest.raises(ConfigError) as caught:
        load_config(environ={"RIVER_MAX_ATTEMPTS": "40000"})

    assert "jobs.max_attempts" in problems_of(caught)


def test_unknown_logging_level_is_refused_with_the_allowed_levels():
    with pytest.raises(ConfigError) as caught:
        load_config(environ={"RIVERHOST_LOGGING__LEVEL": "verbose"})

    assert "'debug'" in problems_of(caught)["logging.level"][2]


# --------------------------------------------------------------------------- the file itself


def test_missing_file_raises_config_file_error_naming_it(tmp_path):
    path = tmp_path / "nowhere.yaml"

    with pytest.raises(ConfigFileError) as caught:
        load_config(path, environ={})

    assert caught.value.path == str(path)
    assert str(path) in str(caught.value)


def test_a_directory_given_as_the_file_raises_config_file_error(tmp_path):
    with pytest.raises(ConfigFileError) as caught:
        load_config(tmp_path, environ={})

    assert caught.value.path == str(tmp_path)


def test_a_file_that_is_not_utf8_raises_config_file_error(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("jobs:\n  max_workers: 4 # \xe9\n".encode("latin-1"))

    with pytest.raises(ConfigFileError, match="UTF-8") as caught:
        load_config(path, environ={})

    assert caught.value.path == str(path)


def test_invalid_yaml_raises_config_file_error_naming_the_file(tmp_path):
    path = write_config(tmp_path, "jobs:\n  max_workers: [4\n")

    with pytest.raises(ConfigFileError, match="not valid YAML") as caught:
        load_config(path, environ={})

    assert caught.value.path == str(path)


@pytest.mark.parametrize("text", ["- jobs\n- plugins\n", "just words\n"])
def test_top_level_that_is_not_a_mapping_raises_config_file_error(tmp_path, text):
    path = write_config(tmp_path, text)

    with pytest.raises(ConfigFileError, match="top level must be a mapping") as caught:
        load_config(path, environ={})

    assert caught.value.path == str(path)


def test_a_python_tag_raises_config_file_error_rather_than_running(tmp_path):
    path = write_config(tmp_path, "jobs:\n  max_workers: !!python/object/apply:os.getpid []\n")

    with pytest.raises(ConfigFileError) as caught:
        load_config(path, environ={})

    assert caught.value.path == str(path)


def test_a_yaml_merge_key_raises_config_file_error_with_its_line(tmp_path):
    path = write_config(tmp_path, "base: &base\n  max_workers: 4\njobs:\n  <<: *base\n")

    with pytest.raises(ConfigFileError, match="line 4: merge keys") as caught:
        load_config(path, environ={})

    assert caught.value.path == str(path)


# --------------------------------------------------------------------------- which file


def test_riverhost_config_variable_picks_the_file(tmp_path):
    path = write_config(tmp_path, "jobs:\n  max_workers: 4\n", name="elsewhere.yaml")

    config = load_config(environ={"RIVERHOST_CONFIG": str(path)})

    assert config.jobs.max_workers == 4
    assert config.source_of("jobs.max_workers") == f"{path}:2"


def test_riverhost_yaml_in_the_working_directory_is_picked_up(tmp_path):
    write_config(tmp_path, "jobs:\n  max_workers: 4\n", name="riverhost.yaml")

    config = load_config(environ={})

    assert config.jobs.max_workers == 4
    assert config.source_of("jobs.max_workers") == "riverhost.yaml:2"


def test_an_explicit_path_wins_over_the_riverhost_config_variable(tmp_path):
    chosen = write_config(tmp_path, "jobs:\n  max_workers: 4\n", name="chosen.yaml")
    other = write_config(tmp_path, "jobs:\n  max_workers: 5\n", name="other.yaml")

    config = load_config(chosen, environ={"RIVERHOST_CONFIG": str(other)})

    assert config.jobs.max_workers == 4


def test_a_missing_file_named_by_riverhost_config_is_an_error(tmp_path):
    path = tmp_path / "typo.yaml"

    with pytest.raises(ConfigFileError) as caught:
        load_config(environ={"RIVERHOST_CONFIG": str(path)})

    assert caught.value.path == str(path)


# --------------------------------------------------------------------------- showing it


def test_effective_yields_every_leaf_with_its_source(tmp_path):
    path = write_config(tmp_path, "jobs:\n  max_workers: 4\n")

    config = load_config(path, environ={"RIVER_POLL_INTERVAL": "2s"})

    shown = {key: (value, source) for key, value, source in config.effective()}
    assert shown == {
        "database.url": (None, "default"),
        "database.data_dir": (None, "default"),
        "database.worker_connections": (10, "default"),
        "jobs.max_workers": (4, f"{path}:2"),
        "jobs.max_attempts": (25, "default"),
        "jobs.fetch_cooldown": ("100ms", "default"),
        "jobs.poll_interval": ("2s", "env RIVER_POLL_INTERVAL"),
        "jobs.shutdown_timeout": ("30s", "default"),
        **{f"jobs.queues.{name}.max_workers": (n, "default") for name, n in SEED_QUEUES.items()},
        "maintenance.heartbeat_interval": ("2s", "default"),
        "maintenance.host_lapse": ("10s", "default"),
        "maintenance.rescue_interval": ("5s", "default"),
        "maintenance.rescue_margin": ("1m", "default"),
        "maintenance.rescue_unknown_after": ("1h", "default"),
        "maintenance.clean_interval": ("30s", "default"),
        "maintenance.retention.completed": ("1d", "default"),
        "maintenance.retention.cancelled": ("1d", "default"),
        "maintenance.retention.discarded": ("7d", "default"),
        "metrics.listen": (None, "default"),
        "http.listen": (None, "default"),
        "http.tokens": ({}, "default"),
        "http.max_body": (1048576, "default"),
        "plugins.enabled": (None, "default"),
        "plugins.disabled": ([], "default"),
        "logging.format": ("auto", "default"),
        "logging.level": ("info", "default"),
    }


# --------------------------------------------------------------------------- plugin sections


def test_plugin_sections_are_kept_as_given_with_their_sources(tmp_path):
    path = write_config(
        tmp_path,
        """
        plugins:
          enabled: [movie]
          movie:
            api_key: x
            libraries: [films, docs]
        """,
    )

    config = load_config(path, environ={"RIVERHOST_PLUGINS__TV__API_KEY": "y"})

    assert config.plugins.enabled == ["movie"]
    assert config.plugins.sections() == {
        "movie": {"api_key": "x", "libraries": ["films", "docs"]},
        "tv": {"api_key": "y"},
    }
    assert config.source_of("plugins.movie.api_key") == f"{path}:4"
    assert config.source_of("plugins.movie.libraries") == f"{path}:5"
    assert config.source_of("plugins.movie") == f"{path}:4"
    assert config.source_of("plugins.tv.api_key") == "env RIVERHOST_PLUGINS__TV__API_KEY"
