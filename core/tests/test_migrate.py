"""Tests of riverhost.db.migrate: River's schema, upgrades, the lock, and plugin lines.

Every check of the schema goes through :func:`describe_schema`, which reads the catalog of the
connection's current schema into plain, comparable values.
"""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from riverhost.db.migrate import (
    MIGRATE_LOCK_KEY,
    Migration,
    MigrationLine,
    migrate,
    migrations_from_package,
    river_line,
    riverhost_line,
)
from riverhost.errors import MigrationError

TZ = "timestamp with time zone"

# river.md §1.1: physical order, format_type, NOT NULL, pg_get_expr of the default.
RIVER_JOB_COLUMNS = [
    ("id", "bigint", True, "nextval('river_job_id_seq'::regclass)"),
    ("state", "river_job_state", True, "'available'::river_job_state"),
    ("attempt", "smallint", True, "0"),
    ("max_attempts", "smallint", True, "25"),
    ("attempted_at", TZ, False, None),
    ("created_at", TZ, True, "now()"),
    ("finalized_at", TZ, False, None),
    ("scheduled_at", TZ, True, "now()"),
    ("priority", "smallint", True, "1"),
    ("args", "jsonb", True, None),
    ("attempted_by", "text[]", False, None),
    ("errors", "jsonb[]", False, None),
    ("kind", "text", True, None),
    ("metadata", "jsonb", True, "'{}'::jsonb"),
    ("queue", "text", True, "'default'::text"),
    ("tags", "character varying(255)[]", True, "'{}'::character varying[]"),
    ("unique_key", "bytea", False, None),
    ("unique_states", "bit(8)", False, None),
]

FINAL_STATES = (
    "ARRAY['cancelled'::river_job_state, 'completed'::river_job_state, "
    "'discarded'::river_job_state]"
)
RIVER_JOB_CONSTRAINTS = {
    "river_job_pkey": ("p", "PRIMARY KEY (id)"),
    "finalized_or_finalized_at_null": (
        "c",
        f"CHECK ((((finalized_at IS NULL) AND (state <> ALL ({FINAL_STATES}))) OR "
        f"((finalized_at IS NOT NULL) AND (state = ANY ({FINAL_STATES})))))",
    ),
    "max_attempts_is_positive": ("c", "CHECK ((max_attempts > 0))"),
    "priority_in_range": ("c", "CHECK (((priority >= 1) AND (priority <= 4)))"),
    "queue_length": ("c", "CHECK (((char_length(queue) > 0) AND (char_length(queue) < 128)))"),
    "kind_length": ("c", "CHECK (((char_length(kind) > 0) AND (char_length(kind) < 128)))"),
}

RIVER_JOB_INDEXES = {
    "river_job_pkey": "CREATE UNIQUE INDEX river_job_pkey ON public.river_job USING btree (id)",
    "river_job_kind": "CREATE INDEX river_job_kind ON public.river_job USING btree (kind)",
    "river_job_state_and_finalized_at_index": (
        "CREATE INDEX river_job_state_and_finalized_at_index ON public.river_job "
        "USING btree (state, finalized_at) WHERE (finalized_at IS NOT NULL)"
    ),
    "river_job_prioritized_fetching_index": (
        "CREATE INDEX river_job_prioritized_fetching_index ON public.river_job "
        "USING btree (state, queue, priority, scheduled_at, id)"
    ),
    "river_job_args_index": (
        "CREATE INDEX river_job_args_index ON public.river_job USING gin (args)"
    ),
    "river_job_metadata_index": (
        "CREATE INDEX river_job_metadata_index ON public.river_job USING gin (metadata)"
    ),
    "river_job_unique_idx": (
        "CREATE UNIQUE INDEX river_job_unique_idx ON public.river_job USING btree (unique_key) "
        "WHERE ((unique_key IS NOT NULL) AND (unique_states IS NOT NULL) AND "
        "river_job_state_in_bitmask(unique_states, state))"
    ),
}

# river.md §1.2.
OTHER_RIVER_TABLES = {
    "river_queue": {
        "persistence": "p",
        "columns": [
            ("name", "text", True, None),
            ("created_at", TZ, True, "now()"),
            ("metadata", "jsonb", True, "'{}'::jsonb"),
            ("paused_at", TZ, False, None),
            ("updated_at", TZ, True, "CURRENT_TIMESTAMP"),
        ],
        "constraints": {"river_queue_pkey": ("p", "PRIMARY KEY (name)")},
    },
    "river_leader": {
        "persistence": "u",
        "columns": [
            ("elected_at", TZ, True, None),
            ("expires_at", TZ, True, None),
            ("leader_id", "text", True, None),
            ("name", "text", True, "'default'::text"),
        ],
        "constraints": {
            "river_leader_pkey": ("p", "PRIMARY KEY (name)"),
            "name_length": ("c", "CHECK ((name = 'default'::text))"),
            "leader_id_length": (
                "c",
                "CHECK (((char_length(leader_id) > 0) AND (char_length(leader_id) < 128)))",
            ),
        },
    },
    "river_migration": {
        "persistence": "p",
        "columns": [
            ("line", "text", True, None),
            ("version", "bigint", True, None),
            ("created_at", TZ, True, "now()"),
        ],
        "constraints": {
            # "1": version 5 builds the new table while the renamed old one still holds the
            # name river_migration_pkey. A database River migrated itself has the same name.
            "river_migration_pkey1": ("p", "PRIMARY KEY (line, version)"),
            "line_length": ("c", "CHECK (((char_length(line) > 0) AND (char_length(line) < 128)))"),
            "version_gte_1": ("c", "CHECK ((version >= 1))"),
        },
    },
    "river_notification": {
        "persistence": "p",
        "columns": [
            ("id", "bigint", True, "nextval('river_notification_id_seq'::regclass)"),
            ("created_at", TZ, True, "now()"),
            ("payload", "text", True, None),
            ("topic", "text", True, None),
        ],
        "constraints": {
            "river_notification_pkey": ("p", "PRIMARY KEY (id)"),
            "topic_length": ("c", "CHECK (((length(topic) > 0) AND (length(topic) < 128)))"),
        },
    },
}

RIVER_NOTIFICATION_INDEXES = {
    "river_notification_pkey": (
        "CREATE UNIQUE INDEX river_notification_pkey ON public.river_notification USING btree (id)"
    ),
    "river_notification_created_at_idx": (
        "CREATE INDEX river_notification_created_at_idx ON public.river_notification "
        "USING btree (created_at)"
    ),
    "river_notification_topic_id_idx": (
        "CREATE INDEX river_notification_topic_id_idx ON public.river_notification "
        "USING btree (topic, id)"
    ),
}

STATES = [
    "available",
    "cancelled",
    "completed",
    "discarded",
    "pending",
    "retryable",
    "running",
    "scheduled",
]

DEMO_V1 = Migration(
    version=1,
    name="create_demo_item",
    sql="CREATE TABLE demo_item (id bigserial PRIMARY KEY, title text NOT NULL);",
)
DEMO_V2 = Migration(
    version=2,
    name="add_demo_item_done",
    sql="ALTER TABLE demo_item ADD COLUMN done boolean NOT NULL DEFAULT false;",
)


# --------------------------------------------------------------------------- helpers


def describe_schema(url: str) -> dict[str, dict[str, object]]:
    """The catalog of the current schema as comparable values, keyed by what they describe."""
    queries = {
        # relkind r: tables; relpersistence u: UNLOGGED.
        "tables": """
            SELECT relname, relpersistence FROM pg_class
            WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r'""",
        "columns": """
            SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod),
                   a.attnotnull, pg_get_expr(d.adbin, d.adrelid)
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
              AND a.attnum > 0 AND NOT a.attisdropped""",
        # contype n (PostgreSQL 18 records NOT NULL as constraints) is left to attnotnull.
        "constraints": """
            SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid)
            FROM pg_constraint
            WHERE connamespace = current_schema()::regnamespace AND contype <> 'n'""",
        "indexes": """
            SELECT c.relname, pg_get_indexdef(c.oid) FROM pg_class c
            WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'i'""",
        "sequences": """
            SELECT relname, relpersistence FROM pg_class
            WHERE relnamespace = current_schema()::regnamespace AND relkind = 'S'""",
        "enums": """
            SELECT t.typname, e.enumsortorder, e.enumlabel FROM pg_enum e
            JOIN pg_type t ON t.oid = e.enumtypid
            WHERE t.typnamespace = current_schema()::regnamespace""",
        # provolatile i: IMMUTABLE.
        "functions": """
            SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
                   p.provolatile, pg_get_functiondef(p.oid)
            FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace""",
        "triggers": """
            SELECT tgrelid::regclass::text, tgname FROM pg_trigger
            WHERE NOT tgisinternal
              AND tgrelid::regclass::text IN (
                  SELECT relname FROM pg_class
                  WHERE relnamespace = current_schema()::regnamespace)""",
    }
    described: dict[str, dict[str, object]] = {}
    with psycopg.connect(url) as conn:
        rows = {key: conn.execute(query).fetchall() for key, query in queries.items()}
        recorded: list[tuple[object, ...]] = []
        if conn.execute("SELECT to_regclass('river_migration') IS NOT NULL").fetchone() == (True,):
            recorded = conn.execute(
                "SELECT line, version FROM river_migration ORDER BY line, version"
            ).fetchall()
    described["tables"] = dict(rows["tables"])
    columns: dict[str, list[tuple[object, ...]]] = {}
    for table, _, name, type_, not_null, default in sorted(rows["columns"]):
        columns.setdefault(table, []).append((name, type_, not_null, default))
    described["columns"] = dict(columns)
    constraints: dict[str, dict[str, tuple[str, str]]] = {}
    for table, name, kind, definition in rows["constraints"]:
        constraints.setdefault(table, {})[name] = (kind, definition)
    described["constraints"] = dict(constraints)
    described["indexes"] = dict(rows["indexes"])
    described["sequences"] = dict(rows["sequences"])
    enums: dict[str, list[str]] = {}
    for type_name, _, label in sorted(rows["enums"]):
        enums.setdefault(type_name, []).append(label)
    described["enums"] = dict(enums)
    described["enum_sort_orders"] = {
        f"{type_name}.{label}": order for type_name, order, label in rows["enums"]
    }
    described["functions"] = {
        name: (volatility, definition) for name, volatility, definition in rows["functions"]
    }
    triggers: dict[str, list[str]] = {}
    for table, name in sorted(rows["triggers"]):
        triggers.setdefault(table, []).append(name)
    described["triggers"] = dict(triggers)
    described["river_migration"] = {"rows": recorded}
    return described


def migrate_like_river(url: str, version: int) -> None:
    """Bring an empty database to River ``version`` the way River's own migrator does.

    River records each version in the format river_migration has at that point: ``version``
    only for versions 1-4, ``(line, version)`` from version 5, which rebuilt the table.
    """
    with psycopg.connect(url, autocommit=True) as conn:
        for migration in river_line().migrations[:version]:
            with conn.transaction():
                conn.execute(migration.sql.encode())
                if migration.version < 5:
                    conn.execute(
                        "INSERT INTO river_migration (version) VALUES (%s)", (migration.version,)
                    )
                else:
                    conn.execute(
                        "INSERT INTO river_migration (line, version) VALUES ('main', %s)",
                        (migration.version,),
                    )


def fetch(url: str, query: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query.encode(), params).fetchall()


def execute(url: str, query: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(query.encode())


def make_package(root: Path, name: str, files: dict[str, str]) -> None:
    package = root / name
    (package / "migrations").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for file_name, text in files.items():
        (package / "migrations" / file_name).write_text(text)


# --------------------------------------------------------------------------- River's schema


@pytest.fixture(scope="module")
def fresh_url(riverhost_server, riverhost_template):
    """The session's template database: an empty database that ``migrate()`` ran on once.

    Read only. Reading it directly instead of a clone per test saves a CREATE DATABASE each.
    """
    return riverhost_server.url_for(riverhost_template)


@pytest.fixture(scope="module")
def fresh_schema(fresh_url):
    """:func:`describe_schema` of ``fresh_url``."""
    return describe_schema(fresh_url)


def test_river_job_columns_match_river_in_physical_order(fresh_schema):
    assert fresh_schema["columns"]["river_job"] == RIVER_JOB_COLUMNS


def test_river_job_constraints_match_river_by_name_and_definition(fresh_schema):
    assert fresh_schema["constraints"]["river_job"] == RIVER_JOB_CONSTRAINTS


def test_job_state_enum_has_pending_added_after_discarded(fresh_schema):
    assert fresh_schema["enums"] == {"river_job_state": STATES}
    # ADD VALUE ... AFTER puts the new label between two sort positions; a database River
    # migrated itself has the same 4.5, where a single CREATE TYPE would give 5.
    assert fresh_schema["enum_sort_orders"]["river_job_state.pending"] == 4.5


def test_river_job_has_rivers_seven_indexes(fresh_schema):
    indexes = fresh_schema["indexes"]
    assert {name: indexes[name] for name in indexes if "river_job" in name} == RIVER_JOB_INDEXES


def test_other_river_tables_match_river(fresh_schema):
    for table, expected in OTHER_RIVER_TABLES.items():
        assert fresh_schema["tables"][table] == expected["persistence"], table
        assert fresh_schema["columns"][table] == expected["columns"], table
        assert fresh_schema["constraints"][table] == expected["constraints"], table
    indexes = fresh_schema["indexes"]
    assert {n: indexes[n] for n in indexes if "notification" in n} == RIVER_NOTIFICATION_INDEXES


def test_river_client_tables_of_version_5_are_gone(fresh_schema):
    assert {table for table in fresh_schema["tables"] if table.startswith("river_")} == {
        "river_job",
        "river_leader",
        "river_migration",
        "river_notification",
        "river_queue",
    }
    assert {seq for seq in fresh_schema["sequences"] if seq.startswith("river_")} == {
        "river_job_id_seq",
        "river_notification_id_seq",
    }


def test_insert_trigger_of_version_2_is_gone(fresh_schema):
    assert "river_job" not in fresh_schema["triggers"]
    assert [name for name in fresh_schema["functions"] if name.startswith("river_")] == [
        "river_job_state_in_bitmask(bitmask bit, state river_job_state)"
    ]


def test_state_in_bitmask_is_immutable(fresh_schema):
    volatility, _ = fresh_schema["functions"][
        "river_job_state_in_bitmask(bitmask bit, state river_job_state)"
    ]
    assert volatility == "i"


@pytest.mark.parametrize(
    ("mask", "expected"),
    [
        # River's default unique states: every state but cancelled and discarded.
        (
            "11110101",
            {
                "available": True,
                "cancelled": False,
                "completed": True,
                "discarded": False,
                "pending": True,
                "retryable": True,
                "running": True,
                "scheduled": True,
            },
        ),
        ("00000001", {state: state == "available" for state in STATES}),
        ("10000000", {state: state == "scheduled" for state in STATES}),
        ("00010000", {state: state == "pending" for state in STATES}),
    ],
)
def test_state_in_bitmask_reads_one_bit_per_state(fresh_url, mask, expected):
    rows = fetch(
        fresh_url,
        "SELECT state::text, river_job_state_in_bitmask(%s::bit(8), state)"
        " FROM unnest(enum_range(NULL::river_job_state)) AS state",
        (mask,),
    )

    assert dict(rows) == expected


def test_river_migration_records_main_versions_1_to_7(fresh_schema):
    assert fresh_schema["river_migration"]["rows"] == [("main", version) for version in range(1, 8)]


# --------------------------------------------------------------------------- running again


def test_migrating_twice_changes_nothing(empty_database_url):
    migrate(empty_database_url)
    before = describe_schema(empty_database_url)

    report = migrate(empty_database_url)

    assert report.applied == []
    assert report.current["main"] == 7
    assert describe_schema(empty_database_url) == before
    assert fetch(empty_database_url, "SELECT count(*) FROM river_migration") == [(7,)]
    assert fetch(empty_database_url, "SELECT count(*) FROM riverhost_migration") == [
        (len(riverhost_line().migrations),)
    ]


# 0: an empty database. 1-4: river_migration in its first format (no line column); 5 and 6:
# the rebuilt table. 3 adds nothing over 2 for the upgrade path, so it is left out.
@pytest.mark.parametrize("river_version", [0, 1, 2, 4, 5, 6])
def test_database_river_migrated_to_an_older_version_is_brought_to_7(
    empty_database_url, fresh_schema, river_version
):
    migrate_like_river(empty_database_url, river_version)

    report = migrate(empty_database_url)

    assert [step.version for step in report.applied if step.line == "main"] == list(
        range(river_version + 1, 8)
    )
    assert (report.previous["main"], report.current["main"]) == (river_version, 7)
    assert describe_schema(empty_database_url) == fresh_schema


def test_jobs_of_a_version_2_database_get_args_and_tags(empty_database_url):
    migrate_like_river(empty_database_url, 2)
    execute(empty_database_url, "INSERT INTO river_job (kind, max_attempts) VALUES ('demo', 3)")

    migrate(empty_database_url)

    rows = fetch(empty_database_url, "SELECT kind, args, tags, metadata FROM river_job")
    assert rows == [("demo", {}, [], {})]


def test_river_version_newer_than_known_is_left_alone(database_url):
    execute(database_url, "INSERT INTO river_migration (line, version) VALUES ('main', 8)")

    report = migrate(database_url)

    assert report.applied == []
    assert report.current["main"] == 8
    assert "version 8" in report.notes[0]


def test_river_tables_without_river_migration_are_refused(empty_database_url):
    execute(empty_database_url, "CREATE TABLE river_job (id bigint PRIMARY KEY)")

    with pytest.raises(MigrationError, match="no river_migration table") as caught:
        migrate(empty_database_url)

    assert caught.value.line == "main"
    assert fetch(empty_database_url, "SELECT to_regclass('river_migration')") == [(None,)]


def test_river_tables_are_made_in_the_connections_current_schema(database_url):
    execute(database_url, "CREATE SCHEMA tenant")
    tenant_url = make_conninfo(database_url, options="-c search_path=tenant,public")

    report = migrate(tenant_url)

    assert [step.version for step in report.applied if step.line == "main"] == list(range(1, 8))
    assert fetch(database_url, "SELECT count(*) FROM tenant.river_migration") == [(7,)]
    assert fetch(database_url, "SELECT count(*) FROM public.river_migration") == [(7,)]


# --------------------------------------------------------------------------- lock and dry run


def waiting_for_lock(url: str) -> int:
    query = """
        SELECT count(*) FROM pg_locks
        WHERE locktype = 'advisory' AND NOT granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND classid::bigint = %s AND objid::bigint = %s
    """
    key = (MIGRATE_LOCK_KEY >> 32, MIGRATE_LOCK_KEY & 0xFFFFFFFF)
    (count,) = fetch(url, query, key)[0]
    assert isinstance(count, int)
    return count


def test_two_migrations_at_once_both_succeed_and_record_each_version_once(empty_database_url):
    url = empty_database_url
    with ThreadPoolExecutor(max_workers=2) as pool:
        with psycopg.connect(url, autocommit=True) as holder:
            # Hold the lock so both runs are certain to overlap: each must wait for it.
            holder.execute("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK_KEY,))
            runs = [pool.submit(migrate, url) for _ in range(2)]
            deadline = time.monotonic() + 10
            while waiting_for_lock(url) < 2 and time.monotonic() < deadline:
                pass
            assert waiting_for_lock(url) == 2
        reports = [run.result(timeout=30) for run in runs]

    core_steps = 7 + riverhost_line().latest  # River's seven, then riverhost's own
    assert sorted(len(report.applied) for report in reports) == [0, core_steps]
    assert fetch(url, "SELECT line, version FROM river_migration ORDER BY version") == [
        ("main", version) for version in range(1, 8)
    ]


def test_dry_run_changes_nothing_and_lists_seven_river_steps(empty_database_url):
    before = describe_schema(empty_database_url)

    report = migrate(empty_database_url, dry_run=True)

    assert [(step.line, step.version) for step in report.pending if step.line == "main"] == [
        ("main", version) for version in range(1, 8)
    ]
    assert report.pending[0].sql == river_line().migrations[0].sql
    assert report.current["main"] == 0
    assert describe_schema(empty_database_url) == before
    assert before["tables"] == {}


def test_dry_run_lists_only_what_is_missing(database_url):
    report = migrate(database_url, lines=[MigrationLine("demo", (DEMO_V1, DEMO_V2))], dry_run=True)

    assert [str(step) for step in report.pending] == [
        "demo 001_create_demo_item",
        "demo 002_add_demo_item_done",
    ]
    assert fetch(database_url, "SELECT to_regclass('demo_item')") == [(None,)]


# --------------------------------------------------------------------------- plugin lines


def test_plugin_line_creates_its_table_and_is_recorded_in_riverhost_migration(database_url):
    report = migrate(database_url, lines=[MigrationLine("demo", (DEMO_V1, DEMO_V2))])

    assert [(step.line, step.version) for step in report.applied] == [("demo", 1), ("demo", 2)]
    assert report.current["demo"] == 2
    columns = describe_schema(database_url)["columns"]["demo_item"]
    assert [column[0] for column in columns] == ["id", "title", "done"]
    recorded = fetch(
        database_url,
        "SELECT line, version, name, checksum FROM riverhost_migration WHERE line = 'demo' "
        "ORDER BY 2",
    )
    assert recorded == [
        ("demo", 1, "create_demo_item", hashlib.sha256(DEMO_V1.sql.encode()).hexdigest()),
        ("demo", 2, "add_demo_item_done", hashlib.sha256(DEMO_V2.sql.encode()).hexdigest()),
    ]
    assert fetch(database_url, "SELECT DISTINCT line FROM river_migration") == [("main",)]


def test_plugin_line_runs_once(database_url):
    line = MigrationLine("demo", (DEMO_V1, DEMO_V2))
    migrate(database_url, lines=[line])

    report = migrate(database_url, lines=[line])

    assert report.applied == []
    query = "SELECT count(*) FROM riverhost_migration WHERE line = 'demo'"
    assert fetch(database_url, query) == [(2,)]


def test_migration_changed_after_it_was_applied_is_refused(database_url):
    migrate(database_url, lines=[MigrationLine("demo", (DEMO_V1,))])
    edited = DEMO_V1.model_copy(update={"sql": DEMO_V1.sql.replace("title", "label")})

    with pytest.raises(MigrationError, match="changed after it was applied") as caught:
        migrate(database_url, lines=[MigrationLine("demo", (edited, DEMO_V2))])

    assert (caught.value.line, caught.value.version) == ("demo", 1)
    query = "SELECT count(*) FROM riverhost_migration WHERE line = 'demo'"
    assert fetch(database_url, query) == [(1,)]


def test_failing_migration_is_rolled_back_and_earlier_ones_stay_applied(database_url):
    broken = Migration(
        version=2,
        name="broken",
        sql="CREATE TABLE demo_half (id int); ALTER TABLE no_such_table ADD COLUMN x int;",
    )

    with pytest.raises(MigrationError, match="no_such_table") as caught:
        migrate(database_url, lines=[MigrationLine("demo", (DEMO_V1, broken))])

    assert (caught.value.line, caught.value.version) == ("demo", 2)
    assert str(caught.value).startswith("migration demo 2: 'broken' failed and was rolled back")
    assert isinstance(caught.value.__cause__, psycopg.errors.UndefinedTable)
    query = "SELECT line, version FROM riverhost_migration WHERE line = 'demo'"
    assert fetch(database_url, query) == [("demo", 1)]
    assert fetch(database_url, "SELECT count(*) FROM demo_item") == [(0,)]
    assert fetch(database_url, "SELECT to_regclass('demo_half')") == [(None,)]


def test_database_newer_than_the_plugin_code_is_refused(database_url):
    migrate(database_url, lines=[MigrationLine("demo", (DEMO_V1, DEMO_V2))])

    with pytest.raises(MigrationError, match="newer release") as caught:
        migrate(database_url, lines=[MigrationLine("demo", (DEMO_V1,))])

    assert (caught.value.line, caught.value.version) == ("demo", 2)


def test_plugin_line_may_not_use_a_reserved_name():
    with pytest.raises(ValueError, match="'main' is reserved"):
        migrate("postgresql://unused", lines=[MigrationLine("main", (DEMO_V1,))])


def test_line_versions_must_run_from_1_without_gaps():
    with pytest.raises(ValueError, match=r"versions 1, 2, 3, … .* has \[2\]"):
        MigrationLine("demo", (DEMO_V2,))


# --------------------------------------------------------------------------- reading files


def test_migrations_from_package_reads_sql_files_in_version_order(tmp_path, monkeypatch):
    make_package(
        tmp_path,
        "rh_demo_reads",
        {
            "002_add_done.sql": "ALTER TABLE item ADD COLUMN done boolean;\n",
            "001_create_item.sql": "CREATE TABLE item (id int);\n",
            ".gitkeep": "",
            "README.md": "not a migration",
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    migrations = migrations_from_package("rh_demo_reads")

    assert migrations == [
        Migration(version=1, name="create_item", sql="CREATE TABLE item (id int);\n"),
        Migration(version=2, name="add_done", sql="ALTER TABLE item ADD COLUMN done boolean;\n"),
    ]


def test_migrations_from_package_rejects_a_gap(tmp_path, monkeypatch):
    make_package(tmp_path, "rh_demo_gap", {"001_a.sql": "", "003_c.sql": ""})
    monkeypatch.syspath_prepend(str(tmp_path))

    with pytest.raises(ValueError, match=r"rh_demo_gap:migrations: version 2 is missing.*003_c"):
        migrations_from_package("rh_demo_gap")


def test_migrations_from_package_rejects_a_duplicate_version(tmp_path, monkeypatch):
    make_package(tmp_path, "rh_demo_dup", {"001_a.sql": "", "001_b.sql": "", "002_c.sql": ""})
    monkeypatch.syspath_prepend(str(tmp_path))

    with pytest.raises(
        ValueError, match=r"version 1 is given by two files, 001_a\.sql and 001_b\.sql"
    ):
        migrations_from_package("rh_demo_dup")


def test_migrations_from_package_rejects_a_badly_named_file(tmp_path, monkeypatch):
    make_package(tmp_path, "rh_demo_badname", {"001_a.sql": "", "002-b.sql": ""})
    monkeypatch.syspath_prepend(str(tmp_path))

    with pytest.raises(ValueError, match=r"rh_demo_badname:migrations/002-b.sql: .*NNN_name\.sql"):
        migrations_from_package("rh_demo_badname")


def test_river_line_ships_rivers_seven_versions():
    line = river_line()

    assert [(m.version, m.name) for m in line.migrations] == [
        (1, "create_river_migration"),
        (2, "initial_schema"),
        (3, "river_job_tags_non_null"),
        (4, "pending_and_more"),
        (5, "migration_unique_client"),
        (6, "bulk_unique"),
        (7, "notification_outbox_sqlite_jsonb_and_sql_cleanup"),
    ]
