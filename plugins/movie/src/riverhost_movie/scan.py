"""The library scan (``movie_library_scan``): walk, skip what is unchanged, match, probe, record.

A scan (:class:`riverhost_media.MediaScanner`, the loop every media plugin shares) walks the
library's folders (or the job's ``paths``) with :func:`riverhost_media.walk`, a batch of files
at a time, so its memory stays flat however large the library. Per batch,
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

import uuid
from collections.abc import Sequence
from typing import Any

from riverhost import Job, JobCancel, JobContext
from riverhost_media import Examined, MediaScanner, ParsedName, parse_movie_path
from riverhost_movie import repository
from riverhost_movie.jobs import LibraryScanArgs, MovieResources, SearchIndexArgs, runtime
from riverhost_movie.matching import Match, Matcher, quality_profile
from riverhost_movie.metadata import save_metadata
from riverhost_movie.repository import Conn, FileRecord, ScanTotals
from riverhost_movie.settings import LibrarySettings, MovieSettings

__all__ = ["LibraryScanner", "run_library_scan"]


class LibraryScanner(MediaScanner[ParsedName, Match, ScanTotals]):
    """One scan of one library's roots: movies parsed by name, matched by a :class:`Matcher`."""

    schema = "movie"
    namespace = uuid.UUID("5f0c6e2a-8f7e-4d43-9a51-3f3f8f3c9b11")
    unparsed = "no title in the file's name or its folder's"

    def __init__(
        self,
        ctx: JobContext,
        settings: MovieSettings,
        resources: MovieResources,
        library: LibrarySettings,
        roots: list[str],
        *,
        force: bool,
    ) -> None:
        super().__init__(
            ctx,
            library,
            roots,
            files=repository,
            totals=ScanTotals(),
            force=force,
            batch_size=settings.scan_batch_size,
            concurrency=settings.scan_concurrency,
        )
        self.matcher = Matcher(ctx.transaction, resources.tmdb, settings.tmdb.languages)

    def parse(self, path: str) -> ParsedName | None:
        """The movie's title, year and release details from the path."""
        return parse_movie_path(path)

    async def match(self, parsed: ParsedName) -> Match:
        """The movie in the table or on TMDb (see :class:`Matcher`)."""
        return await self.matcher.match(parsed)

    async def record(self, conn: Conn, found: Sequence[Examined[ParsedName, Match]]) -> ScanTotals:
        """Create the batch's new movies (once each, with a ``movie_search_index`` job) and
        record every file."""
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
        return ScanTotals(added=added, updated=updated, new_movies=len(index))


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
    scanner = LibraryScanner(
        ctx, settings, resources, library, args.paths or library.paths, force=args.force
    )
    return await scanner.scan(job.id, args.scan_id)
