"""The library scan (``movie_library_scan``): walk, skip what is unchanged, match, probe, record.

A scan walks the library's folders (or the job's ``paths``) with :func:`riverhost_media.walk`,
a batch of files at a time, so its memory stays flat however large the library. Per batch,
one statement marks the recorded files as seen and returns their size and modification time:
a file whose path, size and mtime are unchanged costs nothing more (unless ``force``). Each new
or changed file is parsed (guessit), matched to a movie (:class:`~riverhost_movie.matching.
Matcher`: the table, else TMDb, creating the movie with its metadata), probed with ffprobe,
and recorded in ``movie_files`` — every matched file, not only those of new movies as in the
seed. The batch's movies, files and a ``movie_search_index`` job per new movie commit in one
transaction. At the end, files of the walked roots that were not seen are marked deleted (a
root that could not be walked keeps its files: an unmounted disk is not an empty library).

Per-file problems (unreadable entries, unmatched names, TMDb errors for one title, a file gone
before its probe) are counted and listed, never fatal. Unmatched files and skipped samples are
remembered (``movie.unmatched_files``) with their size and mtime, so a rescan skips them too
while they are unchanged; a TMDb failure is not remembered, so the next scan tries again.
The scan's ``library_scans`` row ends ``completed`` or ``failed``, never ``running``. An
unknown ``library_id``, relative ``paths``, or TMDb refusing the credentials cancel the job
with the reason instead of retrying it.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

import psycopg

from riverhost import Job, JobCancel, JobContext
from riverhost_media import (
    ParsedName,
    ProbeError,
    ProbeFileMissingError,
    ProbeResult,
    TmdbError,
    TmdbNotConfiguredError,
    TmdbStatusError,
    WalkedFile,
    WalkOptions,
    WalkProblem,
    parse_movie_path,
    probe,
    walk,
)
from riverhost_movie import repository
from riverhost_movie.jobs import LibraryScanArgs, MovieResources, SearchIndexArgs, runtime
from riverhost_movie.matching import Match, Matcher, UnmatchedError, quality_profile
from riverhost_movie.metadata import save_metadata
from riverhost_movie.repository import FileRecord, ScanTotals
from riverhost_movie.settings import LibrarySettings, MovieSettings

__all__ = ["LibraryScanner", "run_library_scan"]

#: Errors kept in full in ``library_scans.errors`` and the output; all are counted.
KEPT_ERRORS = 100
_SCAN_NAMESPACE = uuid.UUID("5f0c6e2a-8f7e-4d43-9a51-3f3f8f3c9b11")


def _scan_uuid(scan_id: str, job_id: int) -> uuid.UUID:
    """The job's ``scan_id`` if it is a UUID; else one derived from the job (same on retry)."""
    try:
        return uuid.UUID(scan_id)
    except ValueError:
        return uuid.uuid5(_SCAN_NAMESPACE, f"{job_id}:{scan_id}")


def _take(items: Iterator[WalkedFile | WalkProblem], count: int) -> list[WalkedFile | WalkProblem]:
    return list(islice(items, count))


@dataclass(frozen=True)
class _Examined:
    file: WalkedFile
    parsed: ParsedName
    match: Match
    probed: ProbeResult | None
    probe_error: str | None


class LibraryScanner:
    """One scan of one library's roots; :meth:`run` returns the totals."""

    def __init__(
        self,
        ctx: JobContext,
        settings: MovieSettings,
        resources: MovieResources,
        library: LibrarySettings,
        roots: list[str],
        *,
        force: bool,
        started: datetime,
    ) -> None:
        self.ctx = ctx
        self.settings = settings
        self.library = library
        self.roots = roots
        self.force = force
        self.started = started
        self.totals = ScanTotals()
        self.errors: list[dict[str, str]] = []
        self.samples = 0
        self.unmatched = 0
        self._skipped: list[tuple[str, int, int, str]] = []  # this batch's, to remember
        self.matcher = Matcher(ctx.transaction, resources.tmdb, settings.tmdb.languages)
        self._slots = asyncio.Semaphore(settings.scan_concurrency)

    def _error(self, path: str, message: str) -> None:
        self.totals.errors += 1
        if len(self.errors) < KEPT_ERRORS:
            self.errors.append({"path": path, "error": message})

    def _progress(self, message: str) -> None:
        self.ctx.report_progress("scanning", self.totals.scanned, 0, message)

    async def run(self) -> ScanTotals:
        """Walk, examine and record; mark the files that disappeared."""
        options = WalkOptions(
            follow_symlinks=self.library.follow_symlinks,
            include_hidden=self.library.include_hidden,
            excludes=tuple(self.library.excludes),
        )
        walker = walk(self.roots, options)
        failed_roots: set[str] = set()
        while True:
            self.ctx.raise_if_cancelled()
            batch = await asyncio.to_thread(_take, walker, self.settings.scan_batch_size)
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
            self.totals.removed = await repository.mark_missing_files(
                conn, self.library.id, walked, self.started
            )
        return self.totals

    async def _batch(self, files: list[WalkedFile]) -> None:
        async with self.ctx.transaction() as conn:
            known = await repository.touch_files(conn, [file.path for file in files])
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
            await repository.record_unmatched(conn, self.library.id, skipped)
            await repository.forget_unmatched(conn, [each.file.path for each in found])
            index: list[SearchIndexArgs] = []
            saved: dict[int, uuid.UUID] = {}
            added = updated = 0
            for each in found:
                movie_id = each.match.movie_id
                metadata = each.match.metadata
                if metadata is not None:
                    movie_id = saved.get(metadata.details.id)
                    if movie_id is None:
                        movie_id, created = await save_metadata(conn, metadata)
                        saved[metadata.details.id] = movie_id
                        if created:
                            index.append(SearchIndexArgs(operation="index", movie_id=movie_id))
                    self.matcher.saved(each.parsed, movie_id)
                assert movie_id is not None
                record = FileRecord(
                    path=each.file.path,
                    size=each.file.size,
                    mtime_ns=each.file.mtime_ns,
                    movie_id=movie_id,
                    library_id=self.library.id,
                    match_type=each.match.match_type,
                    confidence=each.match.confidence,
                    probe=each.probed,
                    probe_error=each.probe_error,
                    quality_profile=quality_profile(each.parsed, each.probed),
                )
                if await repository.upsert_file(conn, record):
                    added += 1
                else:
                    updated += 1
            if index:
                await self.ctx.client.insert_many(index, conn=conn)
        self.totals.added += added
        self.totals.updated += updated
        self.totals.new_movies += len(index)

    async def _examine(self, file: WalkedFile) -> _Examined | None:
        async with self._slots:
            try:
                return await self._examine_one(file)
            finally:
                self.totals.scanned += 1
                self._progress(file.path)

    async def _examine_one(self, file: WalkedFile) -> _Examined | None:
        self.ctx.raise_if_cancelled()
        parsed = await asyncio.to_thread(parse_movie_path, file.path)
        if parsed is None:
            self._unmatched(file, "no title in the file's name or its folder's")
            return None
        if parsed.is_sample and self.library.skip_samples:
            self.samples += 1
            self._skipped.append((file.path, file.size, file.mtime_ns, "sample"))
            return None
        try:
            match = await self.matcher.match(parsed)
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
        self.ctx.log.debug("movie.file_matched", path=file.path, match_type=match.match_type)
        return _Examined(file, parsed, match, probed, probe_error)

    def _unmatched(self, file: WalkedFile, reason: str) -> None:
        # Deterministic: remembered, so a rescan skips the file while it is unchanged.
        self.unmatched += 1
        self._error(file.path, reason)
        self._skipped.append((file.path, file.size, file.mtime_ns, reason))

    def output(self, scan_id: uuid.UUID) -> dict[str, Any]:
        """The job's output: the counters and the first errors."""
        return {
            "scan_id": str(scan_id),
            "library_id": self.library.id,
            "total_files": self.totals.scanned,
            "added": self.totals.added,
            "updated": self.totals.updated,
            "unchanged": self.totals.unchanged,
            "removed": self.totals.removed,
            "new_movies": self.totals.new_movies,
            "samples_skipped": self.samples,
            "unmatched": self.unmatched,
            "errors_count": self.totals.errors,
            "errors": self.errors[:10],
        }


async def run_library_scan(job: Job[LibraryScanArgs], ctx: JobContext) -> dict[str, Any]:
    """The ``movie_library_scan`` worker."""
    settings, resources = runtime(ctx)
    args = job.args
    library = settings.library(args.library_id)
    if library is None:
        known = ", ".join(repr(each.id) for each in settings.libraries) or "none"
        raise JobCancel(
            f"unknown library_id {args.library_id!r}: the configured libraries "
            f"(plugins.movie.libraries) are {known}"
        )
    roots = args.paths or library.paths
    relative = [path for path in roots if not os.path.isabs(path)]
    if relative:
        raise JobCancel(f"scan paths must be absolute, got {relative}")
    roots = [os.path.normpath(path) for path in roots]
    scan_id = _scan_uuid(args.scan_id, job.id)
    async with ctx.transaction() as conn:
        started = await repository.start_scan(conn, scan_id, library.id, job.id, force=args.force)
    scanner = LibraryScanner(
        ctx, settings, resources, library, roots, force=args.force, started=started
    )
    try:
        totals = await scanner.run()
    except BaseException as exc:
        message = f"{type(exc).__name__}: {exc}".rstrip(": ")
        try:
            await asyncio.shield(_record_failure(ctx, scan_id, scanner, message))
        except (OSError, psycopg.Error) as record_exc:  # the scan's own error matters more
            ctx.log.error("movie.scan_record_failed", scan_id=str(scan_id), error=str(record_exc))
        raise
    async with ctx.transaction() as conn:
        await repository.complete_scan(conn, scan_id, totals, scanner.errors)
    # Completed by returning, not by ctx.complete_tx: a completion inside the transaction
    # would drop this last progress report (the completer writes progress with the outcome).
    # Should the host die between the two, the scan runs again and skips what it recorded.
    ctx.report_progress("completed", totals.scanned, totals.scanned, library.id)
    return scanner.output(scan_id)


async def _record_failure(
    ctx: JobContext, scan_id: uuid.UUID, scanner: LibraryScanner, message: str
) -> None:
    async with ctx.transaction() as conn:
        await repository.fail_scan(conn, scan_id, scanner.totals, scanner.errors, message)
