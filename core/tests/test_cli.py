"""The riverhost command, run as a user runs it: a subprocess with plugins installed on its path."""

from __future__ import annotations

import json

import psycopg
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


@pytest.mark.parametrize(
    "command", [("jobs", "list"), ("queues", "list"), ("migrate",), ("config", "show")]
)
def test_a_malformed_database_url_is_refused_by_every_command_without_a_traceback(
    riverhost, command
):
    env = {"RIVERHOST_DATABASE_URL": "mysql://app:secret@db.example/jobs"}

    result = riverhost(*command, env=env)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "secret" not in result.stderr
    assert "database.url = 'mysql://app:***@db.example/jobs' (from env RIVERHOST_DATABASE_URL)" in (
        result.stderr
    )
    assert "expected postgresql://user@host:port/db" in result.stderr


def test_bad_cli_arguments_are_a_usage_error(riverhost):
    result = riverhost("plugins", "list", "--colour")

    assert result.returncode == 2
    assert "No such option '--colour'" in result.stderr
    assert result.stderr.startswith("Usage: riverhost plugins list")


# --------------------------------------------------------------------------- jobs


def test_jobs_command_inserts_lists_shows_cancels_retries_and_deletes(database_url, riverhost):
    def cli(*args):
        result = riverhost(
            "jobs", *args, dists=("rh-test-alpha",), env={"RIVERHOST_DATABASE_URL": database_url}
        )
        assert result.returncode == 0, result.stderr
        return result

    known = json.loads(
        cli(
            "insert", "alpha_scan", '{"path": "/srv"}', "--tag", "t1", "--priority", "2", "--json"
        ).stdout
    )
    elsewhere = cli("insert", "elsewhere_sync", '{"n": 1}', "--in", "5m")
    later_id = int(elsewhere.stdout.split()[1])
    listed = json.loads(cli("list", "--kind", "alpha_scan", "--json").stdout)
    table = cli("list").stdout.splitlines()
    first_page = cli("list", "--limit", "1").stdout.splitlines()
    second_page = json.loads(cli("list", "--json", *first_page[-1].split()[1:]).stdout)
    shown = cli("show", str(known["id"])).stdout
    cancelled = cli("cancel", str(known["id"])).stdout
    retried = json.loads(cli("retry", str(known["id"]), "--json").stdout)
    deleted = cli("delete", str(later_id)).stdout
    gone = riverhost("jobs", "show", str(later_id), env={"RIVERHOST_DATABASE_URL": database_url})

    # The declared kind's own queue; the options given; args checked by the plugin's model.
    assert (known["kind"], known["queue"], known["state"]) == ("alpha_scan", "bulk", "available")
    assert (known["priority"], known["tags"], known["args"]) == (2, ["t1"], {"path": "/srv"})
    assert elsewhere.stdout == f"job {later_id} inserted: elsewhere_sync in default, scheduled\n"
    assert "no loaded plugin declares kind 'elsewhere_sync'" in elsewhere.stderr
    assert [j["id"] for j in listed["jobs"]] == [known["id"]]
    assert table[0].split() == [
        "ID",
        "KIND",
        "QUEUE",
        "STATE",
        "ATTEMPT",
        "PRIORITY",
        "SCHEDULED",
        "AT",
        "ERRORS",
    ]
    assert [line.split()[0] for line in table[1:]] == [str(later_id), str(known["id"])]
    assert [line.split()[0] for line in first_page[1:-1]] == [str(later_id)]
    assert first_page[-1] == f"more: --after {later_id}"
    assert ([j["id"] for j in second_page["jobs"]], second_page["cursor"]) == ([known["id"]], None)
    assert 'args          {"path": "/srv"}' in shown
    assert cancelled == f"job {known['id']} (alpha_scan): cancelled\n"
    assert (retried["state"], retried["finalized_at"]) == ("available", None)
    assert deleted == f"job {later_id} (elsewhere_sync): deleted\n"
    assert gone.returncode == 1
    assert str(later_id) in gone.stderr
    with psycopg.connect(database_url) as conn:
        recorded = conn.execute(
            "SELECT action, job_id, via, actor <> '' FROM riverhost_activity ORDER BY id"
        ).fetchall()
    assert recorded == [
        ("insert", known["id"], "cli", True),
        ("insert", later_id, "cli", True),
        ("cancel", known["id"], "cli", True),
        ("retry", known["id"], "cli", True),
        ("delete", later_id, "cli", True),
    ]


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (("alpha_scan", "{path"), 2, "Invalid value for ARGS: not JSON"),
        (("alpha_scan", "[1]"), 2, "Invalid value for ARGS: must be a JSON object"),
        (("alpha_scan", "{}"), 1, "ARGS do not fit ScanArgs (kind 'alpha_scan', plugin alpha"),
        (("alpha_scan", '{"path": 3}'), 1, "path: Input should be a valid string"),
        (("alpha_scan", '{"path": "/a"}', "--in", "soon"), 2, "Invalid value for --in"),
        (("alpha_scan", '{"path": "/a"}', "--in", "-5m"), 2, "--in: must not be negative"),
        (("alpha_scan", '{"path": "/a"}', "--tag", "no spaces"), 2, "bad insert option: tags"),
        (("alpha_scan", '{"path": "/a"}', "--priority", "9"), 2, "--priority"),
        (('bad"kind; drop', "{}"), 2, "Invalid value for KIND: 'bad\"kind; drop' breaks River's"),
        (("bell\akind", "{}"), 2, "Invalid value for KIND: 'bell\\x07kind' breaks River's"),
    ],
    ids=[
        "not-json",
        "not-object",
        "missing-field",
        "wrong-type",
        "bad-delay",
        "negative-delay",
        "bad-tag",
        "bad-priority",
        "kind-with-punctuation",
        "kind-with-control-character",
    ],
)
def test_jobs_insert_refuses_bad_input_saying_what_and_where_and_inserts_nothing(
    database_url, riverhost, args, code, said
):
    env = {"RIVERHOST_DATABASE_URL": database_url}

    result = riverhost("jobs", "insert", *args, dists=("rh-test-alpha",), env=env)
    listed = riverhost("jobs", "list", "--json", env=env)

    assert result.returncode == code, result.stderr
    assert said in result.stderr
    assert json.loads(listed.stdout)["jobs"] == []


def test_commands_say_plainly_when_the_database_is_unreachable_or_never_migrated(
    riverhost, empty_database_url
):
    unreachable = {"RIVERHOST_DATABASE_URL": "postgresql://nobody:secret@127.0.0.1:1/jobs"}
    unmigrated = {"RIVERHOST_DATABASE_URL": empty_database_url}

    listing = riverhost("queues", "list", env=unreachable)
    migrating = riverhost("migrate", env=unreachable)
    jobs = riverhost("jobs", "list", env=unmigrated)
    inserting = riverhost("jobs", "insert", "some_kind", env=unmigrated)

    for result in (listing, migrating, jobs, inserting):
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert "secret" not in result.stderr
    assert "cannot connect to postgresql://nobody:***@127.0.0.1:1/jobs: " in listing.stderr
    assert "Connection refused" in listing.stderr
    assert "error: PostgreSQL: connection failed" in migrating.stderr
    for result in (jobs, inserting):
        assert 'no River schema yet (relation "river_job" does not exist)' in result.stderr
        assert "run `riverhost migrate`" in result.stderr
    assert "inserted" not in inserting.stderr


def test_tables_print_kinds_and_queues_with_control_characters_escaped(database_url, riverhost):
    env = {"RIVERHOST_DATABASE_URL": database_url}
    kind, queue = "evil\nkind\x1b[31m", "q\tueue"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO river_job (kind, queue, args) VALUES (%s, %s, '{}')", (kind, queue)
        )

    jobs = riverhost("jobs", "list", env=env)
    queues = riverhost("queues", "list", env=env)
    listed = json.loads(riverhost("jobs", "list", "--json", env=env).stdout)

    for result in (jobs, queues):
        assert result.returncode == 0, result.stderr
        assert len(result.stdout.splitlines()) == 2, result.stdout
        assert "\x1b" not in result.stdout
        assert "\t" not in result.stdout
    assert jobs.stdout.splitlines()[1].split()[1:3] == ["evil\\nkind\\x1b[31m", "q\\tueue"]
    assert queues.stdout.splitlines()[1].split()[0] == "q\\tueue"
    assert "evil\\nkind\\x1b[31m (1)" in queues.stdout
    assert (listed["jobs"][0]["kind"], listed["jobs"][0]["queue"]) == (kind, queue)


# --------------------------------------------------------------------------- queues


def a_live_host_serving(database_url: str, *queues: str) -> None:
    """A riverhost_host row with a fresh heartbeat, as a running host writes it; dated an hour
    ahead, so it stays live however slowly the commands of the test start on a busy machine."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO riverhost_host (id, hostname, pid, version, queues, heartbeat_at) "
            "VALUES ('host-1', 'test', 1, 'test', %s, now() + interval '1 hour')",
            (psycopg.types.json.Jsonb(dict.fromkeys(queues, 10)),),
        )


def test_inserting_into_a_queue_no_live_host_serves_warns_and_queues_list_flags_it(
    database_url, riverhost
):
    env = {"RIVERHOST_DATABASE_URL": database_url}
    a_live_host_serving(database_url, "default")

    served = riverhost("jobs", "insert", "elsewhere_sync", "--queue", "default", env=env)
    lost = riverhost("jobs", "insert", "elsewhere_sync", "--queue", "no_such_queue", env=env)
    listed = {
        q["name"]: q for q in json.loads(riverhost("queues", "list", "--json", env=env).stdout)
    }
    table = riverhost("queues", "list", env=env).stdout.splitlines()

    assert (served.returncode, lost.returncode) == (0, 0), lost.stderr
    assert "no live host serves queue" not in served.stderr
    assert "warning: no live host serves queue 'no_such_queue'" in lost.stderr
    assert (listed["default"]["served"], listed["no_such_queue"]["served"]) == (True, False)
    assert table[0].split()[:3] == ["QUEUE", "SERVED", "PAUSED"]
    rows = {line.split()[0]: line.split()[1] for line in table[1:]}
    assert (rows["default"], rows["no_such_queue"]) == ("yes", "NO")


def test_pausing_a_queue_no_host_ever_served_is_refused_unless_asked_to_create_it(
    database_url, riverhost
):
    env = {"RIVERHOST_DATABASE_URL": database_url}

    refused = riverhost("queues", "pause", "no_such_queue", env=env)
    after_refusal = json.loads(riverhost("queues", "list", "--json", env=env).stdout)
    created = riverhost("queues", "pause", "no_such_queue", "--create", env=env)
    again = riverhost("queues", "pause", "no_such_queue", env=env)
    listed = {
        q["name"]: q for q in json.loads(riverhost("queues", "list", "--json", env=env).stdout)
    }

    assert refused.returncode == 1
    assert "no host has ever served queue 'no_such_queue'" in refused.stderr
    assert "--create" in refused.stderr
    assert after_refusal == []
    assert created.returncode == 0, created.stderr
    assert again.returncode == 0, again.stderr
    assert listed["no_such_queue"]["paused"] is True


def test_an_insert_of_a_mistyped_kind_suggests_the_declared_one(database_url, riverhost):
    result = riverhost(
        "jobs",
        "insert",
        "alpha_sacn",
        '{"path": "/"}',
        dists=("rh-test-alpha",),
        env={"RIVERHOST_DATABASE_URL": database_url},
    )

    assert result.returncode == 0, result.stderr
    assert "no loaded plugin declares kind 'alpha_sacn' (did you mean 'alpha_scan'?)" in (
        result.stderr
    )
