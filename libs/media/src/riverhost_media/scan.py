"""The library scan every media plugin runs: walk, skip what is unchanged, examine, record.

:class:`MediaScanner` walks a library's folders (or a job's ``paths``) with
:func:`riverhost_media.walk.walk`, a batch of files at a time, so its memory stays flat however
large the library. Per batch, one statement marks the recorded files as seen and returns their
size and modification time (:class:`FileStore`, the plugin's
:class:`~riverhost_media.files.LibraryFiles`): a file whose path, size and mtime are unchanged
costs nothing more (unless ``force``). Each new or changed file is parsed, matched and probed
with ffprobe, a few at once; the batch's matched files are then recorded, and its unmatched
files and skipped samples remembered with their size and mtime (so a rescan skips them while
they are unchanged), in one transaction. At the end, files of the walked roots that were not
seen are marked deleted (a root that could not be walked keeps its files: an unmounted disk is
not an empty library).

A plugin subclasses it with what differs: how a path is parsed (:meth:`~MediaScanner.parse`),
what it is matched to (:meth:`~MediaScanner.match`, raising
:class:`~riverhost_media.errors.UnmatchedError` for a file nothing fits) and how a batch of
matches is recorded (:meth:`~MediaScanner.record`), plus its schema, totals and names.

Per-file problems (unreadable entries, unmatched names, TMDb errors for one title, a file gone
before its probe) are counted and listed, never fatal; a TMDb failure is not remembered, so the
next scan tries again. :meth:`~MediaScanner.scan` runs the whole job: the scan's
``library_scans`` row (:mod:`riverhost_media.scans`) ends ``completed`` or ``failed``, never
``running``. Relative ``paths`` or TMDb refusing the credentials cancel the job with the reason
instead of retrying it.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from itertools import islice
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import psycopg

from riverhost import JobCancel, JobContext
from riverhost_media import scans
from riverhost_media.errors import (
    ProbeError,
    ProbeFileMissingError,
    TmdbError,
    TmdbNotConfiguredError,
    TmdbStatusError,
    UnmatchedError,
)
from riverhost_media.probe import ProbeResult, probe
from riverhost_media.settings import LibrarySettings
from riverhost_media.walk import WalkedFile, WalkOptions, WalkProblem, walk

__all__ = ["KEPT_ERRORS", "Examined", "FileStore", "MediaScanner", "Parsed"]

#: Errors kept in full in ``library_scans.errors`` and the output; all are counted.
KEPT_ERRORS = 100

Conn = psycopg.AsyncConnection[Any]


class Parsed(Protocol):
    """What a scan needs of a parsed name (:class:`~riverhost_media.names.ParsedName`,
    :class:`~riverhost_media.names.ParsedEpisode`)."""

    @property
    def is_sample(self) -> bool: ...


class Matched(Protocol):
    """What a scan needs of a match: how it was found (logged)."""

    @property
    def match_type(self) -> str: ...


class FileStore(Protocol):
    """A plugin's file statements (its repository module, or a
    :class:`~riverhost_media.files.LibraryFiles`)."""

    async def touch_files(self, conn: Conn, paths: Sequence[str]) -> dict[str, tuple[int, int]]:
        """Mark ``paths`` seen; return path -> (size, mtime_ns) as last recorded."""

    async def mark_missing_files(
        self, conn: Conn, library_id: str, roots: Iterable[str], started: datetime
    ) -> int:
        """Mark files under ``roots`` not seen since ``started`` deleted; return how many."""

    async def record_unmatched(
        self, conn: Conn, library_id: str, files: Sequence[tuple[str, int, int, str]]
    ) -> None:
        """Remember files (path, size, mtime_ns, reason) skipped or not matched."""

    async def forget_unmatched(self, conn: Conn, paths: Sequence[str]) -> None:
        """Forget these files as unmatched."""


P = TypeVar("P", bound=Parsed)
M = TypeVar("M", bound=Matched)
T = TypeVar("T", bound=scans.ScanTotals)

_SHARED_TOTALS = {each.name for each in fields(scans.ScanTotals)}


@dataclass(frozen=True)
class Examined(Generic[P, M]):
    """A new or changed file, parsed, matched and (when the library says so) probed."""

    file: WalkedFile
    parsed: P
    match: M
    probed: ProbeResult | None
    probe_error: str | None


def _take(items: Iterator[WalkedFile | WalkProblem], count: int) -> list[WalkedFile | WalkProblem]:
    return list(islice(items, count))


def _scan_uuid(scan_id: str, job_id: int, namespace: uuid.UUID) -> uuid.UUID:
    """The job's ``scan_id`` if it is a UUID; else one derived from the job (same on retry)."""
    try:
        return uuid.UUID(scan_id)
    except ValueError:
        return uuid.uuid5(namespace, f"{job_id}:{scan_id}")


class MediaScanner(ABC, Generic[P, M, T]):
    """One scan of one library's roots; :meth:`scan` runs the job, :meth:`run` the walk."""

    #: The plugin's schema, which holds its ``library_scans``; also its log events' prefix.
    schema: ClassVar[str]
    #: Derives a scan's id from its job when the job names none that is a UUID.
    namespace: ClassVar[uuid.UUID]
    #: The phase the scan's progress reports name.
    phase: ClassVar[str] = "scanning"
    #: Why a file whose path :meth:`parse` makes nothing of is unmatched.
    unparsed: ClassVar[str] = "no title in the file's name or its folders"

    def __init__(
        self,
        ctx: JobContext,
        library: LibrarySettings,
        roots: list[str],
        *,
        files: FileStore,
        totals: T,
        force: bool,
        batch_size: int,
        concurrency: int,
    ) -> None:
        relative = [path for path in roots if not os.path.isabs(path)]
        if relative:
            raise JobCancel(f"scan paths must be absolute, got {relative}")
        self.ctx = ctx
        self.library = library
        self.roots = [os.path.normpath(path) for path in roots]
        self.files = files
        self.totals = totals
        self.force = force
        self.batch_size = batch_size
        self.errors: list[dict[str, str]] = []
        self.samples = 0
        self.unmatched = 0
        self._skipped: list[tuple[str, int, int, str]] = []  # this batch's, to remember
        self._slots = asyncio.Semaphore(concurrency)

    # ---------------------------------------------------------------- what a plugin says

    @abstractmethod
    def parse(self, path: str) -> P | None:
        """The file's parsed name, or None when it names nothing (run in a thread)."""

    @abstractmethod
    async def match(self, parsed: P) -> M:
        """What ``parsed`` names; raises :class:`UnmatchedError` or a TMDb error."""

    @abstractmethod
    async def record(self, conn: Conn, found: Sequence[Examined[P, M]]) -> T:
        """Record a batch's matched files in the caller's transaction, with any follow-up
        jobs; return the batch's counters (added, updated and the plugin's own), which count
        once the transaction commits."""

    # ---------------------------------------------------------------- the job

    async def scan(self, job_id: int, scan_id: str) -> dict[str, Any]:
        """Record the scan as running, run it and record how it ended; return the output."""
        ctx = self.ctx
        scan_uuid = _scan_uuid(scan_id, job_id, self.namespace)
        async with ctx.transaction() as conn:
            started = await scans.start_scan(
                conn, self.schema, scan_uuid, self.library.id, job_id, force=self.force
            )
        try:
            totals = await self.run(started)
        except BaseException as exc:
            message = f"{type(exc).__name__}: {exc}".rstrip(": ")
            try:
                await asyncio.shield(self._record_failure(scan_uuid, message))
            except (OSError, psycopg.Error) as record_exc:  # the scan's own error matters more
                ctx.log.error(
                    f"{self.schema}.scan_record_failed",
                    scan_id=str(scan_uuid),
                    error=str(record_exc),
                )
            raise
        async with ctx.transaction() as conn:
            await scans.complete_scan(conn, self.schema, scan_uuid, totals, self.errors)
        # Completed by returning, not by ctx.complete_tx: a completion inside the transaction
        # would drop this last progress report (the completer writes progress with the outcome).
        # Should the host die between the two, the scan runs again and skips what it recorded.
        ctx.report_progress("completed", totals.scanned, totals.scanned, self.library.id)
        return self.output(scan_uuid)

    async def _record_failure(self, scan_id: uuid.UUID, message: str) -> None:
        async with self.ctx.transaction() as conn:
            await scans.fail_scan(conn, self.schema, scan_id, self.totals, self.errors, message)

    def output(self, scan_id: uuid.UUID) -> dict[str, Any]:
        """The job's output: the counters (the plugin's own after ``removed``) and the first
        errors."""
        totals = self.totals
        own = {f.name: getattr(totals, f.name) for f in fields(totals)}
        return {
            "scan_id": str(scan_id),
            "library_id": self.library.id,
            "total_files": totals.scanned,
            "added": totals.added,
            "updated": totals.updated,
            "unchanged": totals.unchanged,
            "removed": totals.removed,
            **{name: value for name, value in own.items() if name not in _SHARED_TOTALS},
            "samples_skipped": self.samples,
            "unmatched": self.unmatched,
            "errors_count": totals.errors,
            "errors": self.errors[:10],
        }

    # ---------------------------------------------------------------- the walk

    def _error(self, path: str, message: str) -> None:
        self.totals.errors += 1
        if len(self.errors) < KEPT_ERRORS:
            self.errors.append({"path": path, "error": message})

    def _progress(self, message: str) -> None:
        self.ctx.report_progress(self.phase, self.totals.scanned, 0, message)

    async def run(self, started: datetime) -> T:
        """Walk, examine and record; mark the files that disappeared since ``started``."""
        options = WalkOptions(
            follow_symlinks=self.library.follow_symlinks,
            include_hidden=self.library.include_hidden,
            excludes=tuple(self.library.excludes),
        )
        walker = walk(self.roots, options)
        failed_roots: set[str] = set()
        while True:
            self.ctx.raise_if_cancelled()
            batch = await asyncio.to_thread(_take, walker, self.batch_size)
            if not batch:
                break
            files: list[WalkedFile] = []
            for item in batch:
                if isinstance(item, WalkProblem):
                    self._error(item.path, item.message)
                    if item.root_failed:
                        failed_roots.add(item.root)
                else:
                    files.append(item)
            if files:
                await self._batch(files)
        walked = [root for root in self.roots if root not in failed_roots]
        async with self.ctx.transaction() as conn:
            self.totals.removed = await self.files.mark_missing_files(
                conn, self.library.id, walked, started
            )
        return self.totals

    async def _batch(self, files: list[WalkedFile]) -> None:
        async with self.ctx.transaction() as conn:
            known = await self.files.touch_files(conn, [file.path for file in files])
        todo: list[WalkedFile] = []
        for file in files:
            if not self.force and known.get(file.path) == (file.size, file.mtime_ns):
                self.totals.unchanged += 1
                self.totals.scanned += 1
            else:
                todo.append(file)
        self._progress(files[-1].path)
        try:
            # A TaskGroup, not gather: a cancel (JobCancel, a timeout) stops the other files too.
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(self._examine(file)) for file in todo]
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
        found = [each for task in tasks if (each := task.result()) is not None]
        skipped, self._skipped = self._skipped, []
        if not found and not skipped:
            return
        async with self.ctx.transaction() as conn:
            await self.files.record_unmatched(conn, self.library.id, skipped)
            await self.files.forget_unmatched(conn, [each.file.path for each in found])
            recorded = await self.record(conn, found)
        for name in (f.name for f in fields(recorded)):
            setattr(self.totals, name, getattr(self.totals, name) + getattr(recorded, name))

    async def _examine(self, file: WalkedFile) -> Examined[P, M] | None:
        async with self._slots:
            try:
                return await self._examine_one(file)
            finally:
                self.totals.scanned += 1
                self._progress(file.path)

    async def _examine_one(self, file: WalkedFile) -> Examined[P, M] | None:
        self.ctx.raise_if_cancelled()
        parsed = await asyncio.to_thread(self.parse, file.path)
        if parsed is None:
            self._unmatched(file, self.unparsed)
            return None
        if parsed.is_sample and self.library.skip_samples:
            self.samples += 1
            self._skipped.append((file.path, file.size, file.mtime_ns, "sample"))
            return None
        try:
            match = await self.match(parsed)
        except UnmatchedError as exc:
            self._unmatched(file, str(exc))
            return None
        except TmdbNotConfiguredError as exc:
            raise JobCancel(str(exc)) from exc
        except TmdbStatusError as exc:
            if exc.status == 401:
                raise JobCancel(f"TMDb refused the credentials: {exc}") from exc
            self._error(file.path, str(exc))
            return None
        except TmdbError as exc:
            self._error(file.path, str(exc))
            return None
        probed: ProbeResult | None = None
        probe_error: str | None = None
        if self.library.probe:
            try:
                probed = await probe(file.path)
            except ProbeFileMissingError:
                self._error(file.path, "the file disappeared between the walk and the probe")
                return None
            except ProbeError as exc:
                probe_error = str(exc)
                self._error(file.path, probe_error)
        self.ctx.log.debug(
            f"{self.schema}.file_matched", path=file.path, match_type=match.match_type
        )
        return Examined(file, parsed, match, probed, probe_error)

    def _unmatched(self, file: WalkedFile, reason: str) -> None:
        # Deterministic: remembered, so a rescan skips the file while it is unchanged.
        self.unmatched += 1
        self._error(file.path, reason)
        self._skipped.append((file.path, file.size, file.mtime_ns, reason))
