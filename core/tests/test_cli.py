"""The riverhost command, run as a user runs it: a subprocess with plugins installed on its path."""

from __future__ import annotations

import json

import pytest


def imported(tmp_path) -> set[str]:
    log = tmp_path / "imported.log"
    return set(log.read_text().split()) if log.exists() else set()


def test_version_lists_host_and_every_plugin_without_importing_them(riverhost, tmp_path):
    result = riverhost("--version", dists=("rh-test-alpha", "rh-test-delta"))

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("riverhost ")
    assert "  plugin alpha: rh-test-alpha 1.0.0" in lines
    assert "  plugin delta: rh-test-delta 0.1.0" in lines
    assert imported(tmp_path) == set()


def test_plugins_list_shows_a_broken_plugin_instead_of_crashing(riverhost):
    result = riverhost("plugins", "list", "--json", dists=("rh-test-alpha", "rh-test-delta"))

    assert result.returncode == 0, result.stderr
    listing = {p["name"]: p for p in json.loads(result.stdout)["plugins"]}
    assert listing["alpha"]["status"] == "enabled"
    assert listing["alpha"]["kinds"] == ["alpha_fetch", "alpha_scan"]
    assert "riverhost_job_kinds" in listing["alpha"]["hooks"]
    assert listing["delta"]["status"] == "broken"
    assert "riverhost_delta_missing_dependency" in listing["delta"]["reason"]


def test_plugins_list_table_is_aligned_for_people(riverhost):
    result = riverhost("plugins", "list", dists=("rh-test-alpha",))

    assert result.returncode == 0, result.stderr
    header, row = result.stdout.splitlines()[:2]
    assert header.split() == ["PLUGIN", "DISTRIBUTION", "VERSION", "STATUS", "KINDS", "NOTE"]
    assert row.split() == ["alpha", "rh-test-alpha", "1.0.0", "enabled", "2"]
    assert header.index("STATUS") == row.index("enabled")


@pytest.mark.parametrize(
    ("env", "enabled"),
    [
        ({}, {"alpha", "beta"}),
        ({"RIVERHOST_LOAD_PLUGINS": ""}, set()),
        ({"RIVERHOST_LOAD_PLUGINS": "beta"}, {"beta"}),
        ({"RIVERHOST_DISABLED_PLUGINS": "beta"}, {"alpha"}),
    ],
)
def test_enable_and_disable_variables_decide_what_is_imported(riverhost, tmp_path, env, enabled):
    result = riverhost(
        "plugins", "list", "--json", dists=("rh-test-alpha", "rh-test-beta"), env=env
    )

    assert result.returncode == 0, result.stderr
    statuses = {p["name"]: p["status"] for p in json.loads(result.stdout)["plugins"]}
    assert {name for name, status in statuses.items() if status == "enabled"} == enabled
    assert imported(tmp_path) == {f"rh_test_{name}.plugin" for name in enabled}


def test_cli_flags_override_the_environment(riverhost, tmp_path):
    result = riverhost(
        "--plugins",
        "alpha",
        "plugins",
        "check",
        "--json",
        dists=("rh-test-alpha", "rh-test-beta"),
        env={"RIVERHOST_LOAD_PLUGINS": "beta"},
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["plugins"] == ["alpha"]
    assert imported(tmp_path) == {"rh_test_alpha.plugin"}


def test_plugins_check_exits_non_zero_listing_every_problem(riverhost):
    result = riverhost("plugins", "check", dists=("rh-test-alpha", "rh-test-beta", "rh-test-delta"))

    assert result.returncode == 1
    assert "the plugin registry has 2 problems" in result.stderr
    assert "job kind 'alpha_scan' is registered by 2 plugins" in result.stderr
    assert "plugin delta (rh-test-delta 0.1.0) failed to load" in result.stderr


def test_plugins_check_passes_a_clean_registry(riverhost):
    result = riverhost("plugins", "check", dists=("rh-test-alpha",))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok: 1 plugin(s), 2 kind(s), 6 queue(s)"


def test_plugins_kinds_lists_each_kind_with_its_rules(riverhost):
    result = riverhost("plugins", "kinds", "--json", dists=("rh-test-alpha",))

    assert result.returncode == 0, result.stderr
    kinds = {k["kind"]: k for k in json.loads(result.stdout)}
    assert kinds["alpha_scan"] == {
        "kind": "alpha_scan",
        "plugin": "alpha",
        "queue": "bulk",
        "timeout": "30m",
        "max_attempts": 25,
        "priority": 1,
        "retry": "RiverDefaultRetry",
        "unique": None,
        "args": "rh_test_support.ScanArgs",
        "periodic": [{"id": "alpha_rescan", "schedule": "every 1h", "run_on_start": False}],
    }


def test_config_show_says_where_each_value_came_from(riverhost, tmp_path):
    (tmp_path / "riverhost.yaml").write_text("jobs:\n  max_attempts: 9\n")

    result = riverhost(
        "config",
        "show",
        "--json",
        env={"RIVER_WORKERS": "4", "RIVERHOST_DATABASE_URL": "postgresql://u:secret@db/jobs"},
    )

    assert result.returncode == 0, result.stderr
    rows = {row["key"]: row for row in json.loads(result.stdout)}
    assert rows["jobs.max_attempts"] == {
        "key": "jobs.max_attempts",
        "value": 9,
        "source": "riverhost.yaml:2",
    }
    assert rows["jobs.max_workers"]["source"] == "env RIVER_WORKERS"
    assert rows["jobs.queues.bulk.max_workers"] == {
        "key": "jobs.queues.bulk.max_workers",
        "value": 3,
        "source": "default",
    }
    assert rows["database.url"]["value"] == "postgresql://u:***@db/jobs"


def test_bad_config_is_reported_with_every_key_and_exit_code_one(riverhost):
    result = riverhost(
        "config", "show", env={"RIVER_WORKERS": "many", "RIVER_POLL_INTERVAL": "soon"}
    )

    assert result.returncode == 1
    assert "jobs.max_workers = 'many' (from env RIVER_WORKERS)" in result.stderr
    assert "jobs.poll_interval = 'soon' (from env RIVER_POLL_INTERVAL)" in result.stderr


def test_bad_cli_arguments_are_a_usage_error(riverhost):
    result = riverhost("plugins", "list", "--colour")

    assert result.returncode == 2
    assert "No such option '--colour'" in result.stderr
    assert result.stderr.startswith("Usage: riverhost plugins list")
