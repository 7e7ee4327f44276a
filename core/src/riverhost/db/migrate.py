"""Creates and upgrades the schema: River's tables first, then riverhost's, then each plugin's.

This module owns the migration lines and how they are applied. Line ``main`` is River's own,
shipped here as the SQL files under ``migrations/river``: each version takes the same step as
River's migrator, and is recorded in River's ``river_migration`` table in the format that table
has at that version, so Go River, the ``riverqueue`` insert client and riverhost agree on where
the schema stands. Line ``riverhost`` (``migrations/riverhost``) and one line per plugin are
recorded with a checksum in ``riverhost_migration``, never in River's tables. One session-level
advisory lock serialises hosts that migrate at the same time. It does not decide which plugins
are enabled (the registry does), print anything (the CLI does) or migrate down.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import LiteralString

import psycopg
from psycopg.rows import TupleRow
from pydantic import BaseModel, ConfigDict, Field

from riverhost.errors import MigrationError
from riverhost.logging import get_logger

__all__ = [
    "MIGRATE_LOCK_KEY",
    "RIVERHOST_LINE",
    "RIVER_LINE",
    "Migration",
    "MigrationLine",
    "MigrationReport",
    "MigrationStep",
    "migrate",
    "migrations_from_package",
    "river_line",
    "riverhost_line",
]

log = get_logger("riverhost.migrate")

RIVER_LINE = "main"
"""River's line: its name in ``river_migration`` and the name riverhost reports it under."""

RIVERHOST_LINE = "riverhost"
"""The core's own line, tracked in ``riverhost_migration`` like a plugin's."""

MIGRATE_LOCK_KEY = int.from_bytes(b"rhmigrat", "big")
"""The key of the session-level advisory lock held for a whole :func:`migrate` run.

Any 64-bit value would do as long as it never changes; this one spells ``rhmigrat`` in ASCII.
River's own migrator takes no such lock, so it does not guard against Go River migrating at the
same moment, only against other riverhost processes.
"""

_FILE_NAME = re.compile(r"(?P<version>[0-9]+)_(?P<name>[A-Za-z0-9_]+)\.sql")

_Conn = psycopg.Connection[TupleRow]


class Migration(BaseModel):
    """Version ``version`` of a migration line: SQL applied once, in one transaction.

    Plugins return these from the ``riverhost_migrations`` hook, usually through
    :func:`migrations_from_package`. The SQL may hold several statements; it runs with the
    connection's ``search_path``, so table names should be unqualified.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = Field(ge=1)
    name: str = Field(min_length=1)
    sql: str

    @property
    def checksum(self) -> str:
        """The sha256 of the SQL text, in hex; recorded to notice a migration edited later."""
        return _checksum(self.sql)


def _checksum(sql: str) -> str:
    return hashlib.sha256(sql.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class MigrationLine:
    """A named sequence of migrations with versions 1, 2, 3, … applied in that order.

    ``main`` is River's, ``riverhost`` the core's, and every plugin's line is named after the
    plugin. Raises :class:`ValueError` when the versions are not 1..N in order.
    """

    name: str
    migrations: tuple[Migration, ...]

    def __post_init__(self) -> None:
        # Accept any sequence, keep a tuple: the line is frozen and may be shared.
        object.__setattr__(self, "migrations", tuple(self.migrations))
        if not self.name:
            raise ValueError("a migration line needs a name")
        versions = [migration.version for migration in self.migrations]
        if versions != list(range(1, len(versions) + 1)):
            raise ValueError(
                f"migration line {self.name!r} must have versions 1, 2, 3, … in order without "
                f"gaps or repeats, but has {versions}"
            )

    @property
    def latest(self) -> int:
        """The highest version this line ships (0 for an empty line)."""
        return len(self.migrations)


@dataclass(frozen=True)
class MigrationStep:
    """One migration of one line, as applied (or, in a dry run, as it would be)."""

    line: str
    version: int
    name: str
    sql: str

    def __str__(self) -> str:
        return f"{self.line} {self.version:03d}_{self.name}"


@dataclass
class MigrationReport:
    """What a :func:`migrate` run did, or with ``dry_run`` what it would do.

    ``applied`` lists the steps in the order they ran; in a dry run nothing ran and the same
    list holds the steps a real run would apply (also available as :attr:`pending`).
    ``previous`` and ``current`` map each line to its version before and after the run; a dry
    run changes nothing, so both are the database's versions. ``notes`` holds what an operator
    should know that was not an error, such as a River schema newer than riverhost knows.
    """

    applied: list[MigrationStep] = field(default_factory=list)
    current: dict[str, int] = field(default_factory=dict)
    previous: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def pending(self) -> list[MigrationStep]:
        """In a dry run, the steps a real run would apply; otherwise empty."""
        return list(self.applied) if self.dry_run else []

    @property
    def changed(self) -> bool:
        """True when this run changed the database."""
        return bool(self.applied) and not self.dry_run


# --------------------------------------------------------------------------- reading files


def migrations_from_package(package: str, directory: str = "migrations") -> list[Migration]:
    """Read the ``NNN_name.sql`` files of folder ``directory`` inside ``package``.

    ``directory`` may name a nested folder (``sql/migrations``). Files not ending in ``.sql``
    are ignored (a ``.gitkeep``, a README). Returns the migrations sorted by version; raises
    :class:`ValueError` naming the file on a badly named file, two files with one version, or
    versions that do not run 1..N without a gap, and when the folder does not exist.
    """
    root = _package_folder(package, directory)
    where = f"{package}:{directory}"
    if not root.is_dir():
        raise ValueError(f"{where}: no such folder of migrations in package {package!r}")
    return _read_migrations(root, where)


def _package_folder(package: str, directory: str) -> Traversable:
    root = resources.files(package)
    for part in directory.strip("/").split("/"):
        root = root / part
    return root


def _read_migrations(root: Traversable, where: str) -> list[Migration]:
    by_version: dict[int, tuple[str, Migration]] = {}
    for entry in sorted(root.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".sql") or not entry.is_file():
            continue
        match = _FILE_NAME.fullmatch(entry.name)
        if match is None:
            raise ValueError(
                f"{where}/{entry.name}: a migration file must be named NNN_name.sql (a version "
                "number, an underscore, then letters, digits and underscores), "
                "e.g. 001_create_items.sql"
            )
        version = int(match["version"])
        if version < 1:
            raise ValueError(f"{where}/{entry.name}: versions start at 1")
        if version in by_version:
            raise ValueError(
                f"{where}: version {version} is given by two files, "
                f"{by_version[version][0]} and {entry.name}; give each migration its own number"
            )
        sql = entry.read_text(encoding="utf-8")
        by_version[version] = (entry.name, Migration(version=version, name=match["name"], sql=sql))
    for expected, version in enumerate(sorted(by_version), start=1):
        if version != expected:
            raise ValueError(
                f"{where}: version {expected} is missing (the next file is "
                f"{by_version[version][0]}); versions must run 1, 2, 3, … without gaps"
            )
    return [by_version[version][1] for version in sorted(by_version)]


@cache
def river_line() -> MigrationLine:
    """River's line ``main``: versions 1..7, the steps River's own migrator takes."""
    return MigrationLine(
        RIVER_LINE, tuple(migrations_from_package("riverhost.db", "migrations/river"))
    )


@cache
def riverhost_line() -> MigrationLine:
    """The core's own line ``riverhost``, from ``migrations/riverhost`` (may be empty)."""
    directory = "migrations/riverhost"
    root = _package_folder("riverhost.db", directory)
    if not root.is_dir():
        return MigrationLine(RIVERHOST_LINE, ())
    return MigrationLine(RIVERHOST_LINE, tuple(_read_migrations(root, f"riverhost.db:{directory}")))


# --------------------------------------------------------------------------- migrating


@dataclass
class _LinePlan:
    line: MigrationLine
    current: int
    steps: list[MigrationStep]


_Recorder = Callable[[_Conn, MigrationStep], None]


def migrate(
    conninfo: str, *, lines: Sequence[MigrationLine] = (), dry_run: bool = False
) -> MigrationReport:
    """Bring the database up to date: River's line, then ``riverhost``, then ``lines`` in order.

    Holds the advisory lock :data:`MIGRATE_LOCK_KEY` on one connection for the whole run, so a
    second host migrating at the same time waits, then finds nothing left to do. Every state is
    read and checked before anything is applied; each migration then runs in a transaction of
    its own together with the row recording it, so a failure rolls back that migration only.

    With ``dry_run`` nothing is changed (the lock is still taken and the state read) and the
    report lists the steps a real run would apply.

    Raises :class:`~riverhost.errors.MigrationError` when a migration fails (the PostgreSQL error
    chained), when an applied migration of ``riverhost`` or a plugin was changed since, when the
    database holds versions newer than the code, or when River's tables exist without River's
    migration table. Raises :class:`ValueError` when two lines share a name or a plugin line
    uses a reserved one (``main``, ``riverhost``).
    """
    all_lines = [river_line(), riverhost_line(), *lines]
    _check_line_names(all_lines)
    report = MigrationReport(dry_run=dry_run)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        # Session-level, so it outlives the transactions below; closing the connection at the
        # end of this block releases it, also when a migration fails.
        _take_lock(conn)
        plans = [_plan_river(conn, all_lines[0], report)]
        plans += [_plan_tracked(conn, line) for line in all_lines[1:]]
        report.previous = {plan.line.name: plan.current for plan in plans}
        report.current = dict(report.previous)
        if dry_run:
            report.applied = [step for plan in plans for step in plan.steps]
            return report
        _create_riverhost_table(conn)
        for plan in plans:
            record = _record_river if plan.line.name == RIVER_LINE else _record_tracked
            for step in plan.steps:
                _apply(conn, step, record)
                report.applied.append(step)
                report.current[step.line] = max(report.current[step.line], step.version)
    return report


def _check_line_names(lines: Sequence[MigrationLine]) -> None:
    seen: set[str] = set()
    for line in lines:
        if line.name in seen:
            reserved = line.name in (RIVER_LINE, RIVERHOST_LINE)
            raise ValueError(
                f"migration line {line.name!r} "
                + (
                    "is reserved; name the plugin's line after the plugin"
                    if reserved
                    else "is given twice"
                )
            )
        seen.add(line.name)


def _take_lock(conn: _Conn) -> None:
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (MIGRATE_LOCK_KEY,)).fetchone()
    if row is not None and row[0]:
        return
    log.info("migration.lock_contended", lock_key=MIGRATE_LOCK_KEY)
    conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK_KEY,))


def _one(conn: _Conn, query: LiteralString, params: Sequence[object] = ()) -> object:
    row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]


def _version(conn: _Conn, query: LiteralString, params: Sequence[object] = ()) -> int:
    found = _one(conn, query, params)
    return found if isinstance(found, int) else 0


# Tables are looked up in current_schema(), where the unqualified CREATE TABLEs of the
# migrations put them, not anywhere on the search_path: River's tables in a schema further
# down the path are not this schema's.
_TABLE_IN_SCHEMA = """
    SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relname = %s AND c.relkind IN ('r', 'p')
"""


def _exists(conn: _Conn, table: str) -> bool:
    return _one(conn, "SELECT EXISTS (" + _TABLE_IN_SCHEMA + ")", (table,)) is True


def _river_migration_has_line(conn: _Conn) -> bool:
    # River's migration table gained the line column in version 5.
    query = (
        "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = ("
        + _TABLE_IN_SCHEMA
        + ") AND attname = 'line' AND NOT attisdropped)"
    )
    return _one(conn, query, ("river_migration",)) is True


def _plan_river(conn: _Conn, line: MigrationLine, report: MigrationReport) -> _LinePlan:
    if not _exists(conn, "river_migration"):
        if _exists(conn, "river_job"):
            raise MigrationError(
                RIVER_LINE,
                1,
                "the database has River's tables (river_job) but no river_migration table, so "
                "they were not created by River's migrator and their version is unknown. If "
                "the schema matches River version N, create river_migration as River's "
                "migration 5 does and record versions 1..N in it with line 'main'; or point "
                "riverhost at a schema without River's tables (search_path).",
            )
        current = 0
    elif _river_migration_has_line(conn):
        current = _version(
            conn, "SELECT max(version) FROM river_migration WHERE line = %s", (RIVER_LINE,)
        )
    else:
        current = _version(conn, "SELECT max(version) FROM river_migration")
    if current > line.latest:
        note = (
            f"River's line {RIVER_LINE!r} is at version {current}, newer than the {line.latest} "
            "riverhost knows; it was left as it is"
        )
        report.notes.append(note)
        log.warning(
            "migration.newer_version_found", line=RIVER_LINE, version=current, known=line.latest
        )
    steps = [_step(line, migration) for migration in line.migrations[current:]]
    return _LinePlan(line, current, steps)


def _plan_tracked(conn: _Conn, line: MigrationLine) -> _LinePlan:
    recorded: list[tuple[int, str, str]] = []
    if _exists(conn, "riverhost_migration"):
        rows = conn.execute(
            "SELECT version, name, checksum FROM riverhost_migration WHERE line = %s"
            " ORDER BY version",
            (line.name,),
        ).fetchall()
        recorded = [(int(version), str(name), str(checksum)) for version, name, checksum in rows]
    shipped = {migration.version: migration for migration in line.migrations}
    who = "riverhost" if line.name == RIVERHOST_LINE else f"the plugin {line.name!r}"
    for version, name, checksum in recorded:
        migration = shipped.get(version)
        if migration is None:
            raise MigrationError(
                line.name,
                version,
                f"{name!r} is recorded as applied, but this code ships only versions "
                f"1..{line.latest} of line {line.name!r}: the database was migrated by a newer "
                f"release. Upgrade {who} instead of running an older release on this database.",
            )
        if migration.checksum != checksum:
            raise MigrationError(
                line.name,
                version,
                f"{migration.name!r} changed after it was applied (checksum recorded "
                f"{checksum[:12]}…, shipped {migration.checksum[:12]}…). Restore the SQL that "
                f"was applied and put the change in a new migration, version {line.latest + 1}.",
            )
    done = {version for version, _, _ in recorded}
    steps = [_step(line, m) for m in line.migrations if m.version not in done]
    return _LinePlan(line, max(done, default=0), steps)


def _step(line: MigrationLine, migration: Migration) -> MigrationStep:
    return MigrationStep(line.name, migration.version, migration.name, migration.sql)


def _create_riverhost_table(conn: _Conn) -> None:
    # Checked first rather than IF NOT EXISTS, which would send a notice on every run. The
    # advisory lock keeps another migrator from creating it in between.
    if _exists(conn, "riverhost_migration"):
        return
    conn.execute("""
        CREATE TABLE riverhost_migration (
            line text NOT NULL,
            version integer NOT NULL CHECK (version >= 1),
            name text NOT NULL,
            checksum text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (line, version)
        )
    """)


def _record_river(conn: _Conn, step: MigrationStep) -> None:
    # Recorded in the format the table has once this version is in: versions 1-4 know only
    # version, version 5 rebuilds the table keyed by (line, version).
    if not _exists(conn, "river_migration"):
        raise MigrationError(
            step.line, step.version, "river_migration is missing after the migration ran"
        )
    if _river_migration_has_line(conn):
        conn.execute(
            "INSERT INTO river_migration (line, version) VALUES (%s, %s)",
            (RIVER_LINE, step.version),
        )
    else:
        conn.execute("INSERT INTO river_migration (version) VALUES (%s)", (step.version,))


def _record_tracked(conn: _Conn, step: MigrationStep) -> None:
    conn.execute(
        "INSERT INTO riverhost_migration (line, version, name, checksum) VALUES (%s, %s, %s, %s)",
        (step.line, step.version, step.name, _checksum(step.sql)),
    )


def _apply(conn: _Conn, step: MigrationStep, record: _Recorder) -> None:
    started = time.perf_counter()
    try:
        with conn.transaction():
            # Bytes and no parameters: sent as one simple query, so the file may hold many
            # statements and a % in it means nothing special.
            conn.execute(step.sql.encode("utf-8"))
            record(conn, step)
    except psycopg.Error as exc:
        said = exc.diag.message_primary or str(exc).strip()
        state = f" (SQLSTATE {exc.sqlstate})" if exc.sqlstate else ""
        raise MigrationError(
            step.line,
            step.version,
            f"{step.name!r} failed and was rolled back; the versions before it stay applied. "
            f"PostgreSQL said: {said}{state}. Fix the migration, then migrate again.",
        ) from exc
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    log.info(
        "migration.applied",
        line=step.line,
        version=step.version,
        name=step.name,
        duration_ms=duration_ms,
    )
