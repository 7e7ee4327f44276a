"""The library scan (``tvshow_library_scan``) and the file match (``tvshow_file_match``).

A scan (:class:`riverhost_media.MediaScanner`, the loop every media plugin shares) walks the
library's folders (or the job's ``paths``) with :func:`riverhost_media.walk` a batch at a time.
Per batch, one statement marks recorded files as seen and returns their size and mtime:
unchanged files cost nothing more (unless ``force``). Each new or changed file is
parsed (:func:`riverhost_media.parse_episode_path`: ``S01E02``, ``1x02``, ``S01E01E02``, air
dates, absolute numbers, season folders, specials as season 0), its series found by
:class:`Resolver` (the table by normalised title, else TMDb ``/search/tv`` and ``/tv/{id}``
when ``auto_create`` is on) with the seasons it needs (``/tv/{id}/season/{n}``, every
episode), probed with ffprobe, and recorded in ``episode_files``, one row per episode it holds
(the seed dropped a multi-episode file's other episodes and recorded files of new series only).
The batch's file rows and a ``tvshow_search_index`` job per series that changed commit in one
transaction. Series and seasons are written as they are first needed (their own short
transactions), so files of one series share them. At the end, files not seen under the walked
roots are marked deleted. The scan's ``library_scans`` row always ends ``completed`` or
``failed`` (the seed's TV scans stayed ``pending``).

Per-file problems are counted and listed, never fatal; unmatched files are remembered with
their size and mtime so a rescan skips them while unchanged. An unknown library, relative
paths or TMDb refusing the credentials cancel the job with the reason.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from riverhost import Job, JobCancel, JobContext
from riverhost_media import (
    Examined,
    MediaScanner,
    ParsedEpisode,
    ProbeError,
    ProbeFileMissingError,
    ProbeResult,
    SearchTvResult,
    TmdbClient,
    TmdbNotConfiguredError,
    TmdbStatusError,
    UnmatchedError,
    WalkedFile,
    best_tmdb_hit,
    is_video,
    looked_for,
    parse_episode_path,
    probe,
    scans,
)
from riverhost_media.names import normalise_title
from riverhost_tvshow import repository
from riverhost_tvshow.jobs import FileMatchArgs, LibraryScanArgs, SearchIndexArgs, runtime
from riverhost_tvshow.metadata import fetch_season, fetch_series, save_series
from riverhost_tvshow.repository import Conn, FileRecord
from riverhost_tvshow.settings import LibrarySettings

__all__ = ["Resolver", "UnmatchedError", "run_file_match", "run_library_scan"]

#: A TMDb hit scoring less than this is not the file's series.
TMDB_THRESHOLD = 0.6

Transaction = Callable[[], AbstractAsyncContextManager[Conn]]


@dataclass(frozen=True)
class Series:
    """A series in the table, with what the scan learnt from TMDb about it."""

    id: uuid.UUID
    title: str
    tmdb_id: int | None
    created: bool


@dataclass(frozen=True)
class Match:
    """A file's episodes."""

    series: Series
    episode_ids: list[uuid.UUID]
    match_type: str  # "title" (series in the table), "tmdb" (found there), "episode_id"


def _describe(parsed: ParsedEpisode) -> str:
    if parsed.air_date is not None and not parsed.episodes:
        return f"the episode aired {parsed.air_date.isoformat()}"
    numbers = "".join(f"E{n:02d}" for n in parsed.episodes)
    if parsed.season is None:
        return f"absolute episode {', '.join(map(str, parsed.episodes))}"
    return f"S{parsed.season:02d}{numbers}"


class Resolver:
    """Finds a parsed file's series and episodes, creating them from TMDb when allowed.

    Answers are shared per series (normalised title and year) and per season, so one scan
    asks TMDb once per series and season however many files they have.
    """

    def __init__(
        self,
        transaction: Transaction,
        tmdb: TmdbClient,
        languages: list[str],
        *,
        auto_create: bool,
    ) -> None:
        self._transaction = transaction
        self._tmdb = tmdb
        self._languages = languages
        self._auto_create = auto_create
        self._series: dict[tuple[str, int | None], asyncio.Future[Series]] = {}
        self._seasons: dict[tuple[uuid.UUID, int | None], asyncio.Future[None]] = {}

    async def match(self, parsed: ParsedEpisode) -> Match:
        """The episodes ``parsed`` names; raises :class:`UnmatchedError` or a TMDb error."""
        if not parsed.numbered:
            raise UnmatchedError(
                f"no episode number or air date in the name (series {parsed.title!r})"
            )
        key = (normalise_title(parsed.title), parsed.year)
        found = self._series.get(key)
        if found is None:
            found = self._series[key] = asyncio.ensure_future(self._find_series(parsed))
        series = await asyncio.shield(found)
        ids = await self._episodes(series, parsed)
        if ids is None and series.tmdb_id is not None:
            # A season (or, for air dates and absolute numbers, every season) not loaded yet.
            season = parsed.season if parsed.season is not None and parsed.episodes else None
            await self._load(series, season)
            ids = await self._episodes(series, parsed)
        if ids is None:
            raise UnmatchedError(f"{series.title!r} has no {_describe(parsed)}")
        return Match(series, ids, "tmdb" if series.created else "title")

    async def _episodes(self, series: Series, parsed: ParsedEpisode) -> list[uuid.UUID] | None:
        async with self._transaction() as conn:
            return await repository.episode_ids(
                conn,
                series.id,
                season=parsed.season,
                episodes=parsed.episodes,
                air_date=parsed.air_date,
            )

    async def _load(self, series: Series, season: int | None) -> None:
        key = (series.id, season)
        loading = self._seasons.get(key)
        if loading is None:
            loading = self._seasons[key] = asyncio.ensure_future(self._fetch(series, season))
        await asyncio.shield(loading)

    async def _fetch(self, series: Series, season: int | None) -> None:
        assert series.tmdb_id is not None
        if season is None:
            details = await self._tmdb.tv(series.tmdb_id, language=self._languages[0])
            numbers = [s.season_number for s in details.seasons if s.episode_count]
        else:
            numbers = [season]
        for number in numbers:
            try:
                fetched = await fetch_season(self._tmdb, series.tmdb_id, number, self._languages)
            except TmdbStatusError as exc:
                if exc.status == 404:
                    continue  # TMDb has no such season: the file's episode stays unmatched
                raise
            async with self._transaction() as conn:
                await repository.upsert_season(conn, series.id, fetched)

    async def _find_series(self, parsed: ParsedEpisode) -> Series:
        async with self._transaction() as conn:
            row = await repository.series_by_title(conn, parsed.title, parsed.year)
        if row is not None:
            return Series(row.id, row.title, row.tmdb_id, created=False)
        if not self._auto_create:
            wanted = looked_for(parsed.title, parsed.year)
            raise UnmatchedError(f"no series called {wanted} (auto_create is off)")
        language = self._languages[0]

        async def search(year: int | None) -> list[SearchTvResult]:
            found = await self._tmdb.search_tv(
                parsed.title, first_air_date_year=year, language=language
            )
            return found.results

        _, hit = await best_tmdb_hit(
            search,
            parsed.title,
            parsed.year,
            titles=lambda h: [h.name, h.original_name or ""],
            what="series",
            describe=lambda h: f"{h.name!r}",
            threshold=TMDB_THRESHOLD,
        )
        async with self._transaction() as conn:
            known = await repository.series_id_by_tmdb(conn, hit.id)
        if known is not None:
            return Series(known, hit.name, hit.id, created=False)
        metadata = await fetch_series(self._tmdb, hit.id, self._languages)
        async with self._transaction() as conn:
            series_id, created = await save_series(conn, metadata)
        return Series(series_id, metadata.details.name, hit.id, created=created)


def quality_profile(parsed: ParsedEpisode, probed: ProbeResult | None) -> str | None:
    """A Sonarr-like quality name (``WEBDL-1080p``) from the name's source and the frame size."""
    resolution = (probed.resolution if probed else None) or parsed.screen_size
    source = {"Blu-ray": "Bluray", "Web": "WEBDL"}.get(parsed.source or "", parsed.source)
    return "-".join(part for part in (source, resolution) if part) or None


@dataclass
class Totals(scans.ScanTotals):
    """A TV scan's counters: the shared ones and the series it created."""

    new_series: int = 0


class LibraryScanner(MediaScanner[ParsedEpisode, Match, Totals]):
    """One scan of one library's roots: episodes parsed by name, found by a :class:`Resolver`."""

    schema = "tvshow"
    namespace = uuid.UUID("0b6f3a52-2a55-4f55-8f8e-5a8c0f0d7c21")
    phase = "processing"
    unparsed = "no series title in the file's name or folders"

    def __init__(
        self,
        ctx: JobContext,
        resolver: Resolver,
        library: LibrarySettings,
        roots: list[str],
        *,
        force: bool,
        batch_size: int,
        concurrency: int,
    ) -> None:
        super().__init__(
            ctx,
            library,
            roots,
            files=repository,
            totals=Totals(),
            force=force,
            batch_size=batch_size,
            concurrency=concurrency,
        )
        self.resolver = resolver
        self._created: set[uuid.UUID] = set()

    def parse(self, path: str) -> ParsedEpisode | None:
        """The series, season and episodes (or air date) from the path."""
        return parse_episode_path(path)

    async def match(self, parsed: ParsedEpisode) -> Match:
        """The file's series and episodes (see :class:`Resolver`)."""
        return await self.resolver.match(parsed)

    async def record(self, conn: Conn, found: Sequence[Examined[ParsedEpisode, Match]]) -> Totals:
        """Record every file's episodes, with a ``tvshow_search_index`` job per series that
        changed."""
        batch = Totals()
        changed: set[uuid.UUID] = set()
        for each in found:
            added = await record_file(conn, each, self.library.id)
            batch.added += added
            batch.updated += not added
            changed.add(each.match.series.id)
            if each.match.series.created and each.match.series.id not in self._created:
                self._created.add(each.match.series.id)
                batch.new_series += 1
        index = [SearchIndexArgs(series_id=series_id) for series_id in sorted(changed)]
        if index:
            await self.ctx.client.insert_many(index, conn=conn)
        return batch


async def record_file(
    conn: Conn, each: Examined[ParsedEpisode, Match], library_id: str | None
) -> bool:
    """Record a file's row for each episode it holds; True if the file is new."""
    await repository.drop_other_episodes(conn, each.file.path, each.match.episode_ids)
    created = False
    for episode_id in each.match.episode_ids:
        record = FileRecord(
            path=each.file.path,
            size=each.file.size,
            mtime_ns=each.file.mtime_ns,
            episode_id=episode_id,
            library_id=library_id,
            match_type=each.match.match_type,
            probe=each.probed,
            probe_error=each.probe_error,
            quality_profile=quality_profile(each.parsed, each.probed),
        )
        created = await repository.upsert_file(conn, record) or created
    return created


async def run_library_scan(job: Job[LibraryScanArgs], ctx: JobContext) -> dict[str, Any]:
    """The ``tvshow_library_scan`` worker."""
    settings, resources = runtime(ctx)
    args = job.args
    known = ", ".join(repr(each.id) for each in settings.libraries) or "none"
    if args.library_id is not None:
        library = settings.library(args.library_id)
        if library is None:
            raise JobCancel(
                f"unknown library_id {args.library_id!r}: the configured libraries "
                f"(plugins.tvshow.libraries) are {known}"
            )
    elif args.paths:
        library = settings.library_of(os.path.join(args.paths[0], ""))
        if library is None:
            raise JobCancel(f"no configured library ({known}) holds {args.paths[0]!r}")
    else:
        raise JobCancel("a scan needs a library_id or paths")
    resolver = Resolver(
        ctx.transaction, resources.tmdb, settings.tmdb.languages, auto_create=args.auto_create
    )
    scanner = LibraryScanner(
        ctx,
        resolver,
        library,
        args.paths or library.paths,
        force=args.force,
        batch_size=settings.scan_batch_size,
        concurrency=settings.scan_concurrency,
    )
    return await scanner.scan(job.id, args.scan_id)


async def run_file_match(job: Job[FileMatchArgs], ctx: JobContext) -> dict[str, Any]:
    """The ``tvshow_file_match`` worker: every deterministic failure cancels with the reason."""
    settings, resources = runtime(ctx)
    args = job.args
    path = os.path.abspath(args.file_path)
    if not is_video(path):
        raise JobCancel(f"{path} is not a video file (extension {os.path.splitext(path)[1]!r})")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise JobCancel(f"{path} does not exist") from None
    except OSError as exc:
        raise JobCancel(f"{path} cannot be read: {exc}") from exc
    library = settings.library_of(path)
    if not args.force_rematch:
        async with ctx.transaction() as conn:
            recorded = await repository.files_by_path(conn, path)
        if recorded:
            return {
                "match_type": "exact",
                "episode_ids": [str(e) for e, _ in recorded],
                "series_id": str(recorded[0][1]),
            }
    parsed = await asyncio.to_thread(parse_episode_path, path)
    if parsed is None:
        raise JobCancel(f"no series title in the name or folders of {path}")
    if args.episode_id is not None:
        async with ctx.transaction() as conn:
            cursor = await conn.execute(
                "SELECT e.series_id, s.title, s.tmdb_id FROM tvshow.episodes e "
                "JOIN tvshow.series s ON s.id = e.series_id WHERE e.id = %s",
                (args.episode_id,),
            )
            row = await cursor.fetchone()
        if row is None:
            raise JobCancel(f"episode {args.episode_id} does not exist")
        match = Match(Series(row[0], row[1], row[2], False), [args.episode_id], "episode_id")
    else:
        resolver = Resolver(
            ctx.transaction, resources.tmdb, settings.tmdb.languages, auto_create=args.auto_create
        )
        try:
            match = await resolver.match(parsed)
        except UnmatchedError as exc:
            raise JobCancel(f"{path}: {exc}") from exc
        except TmdbNotConfiguredError as exc:
            raise JobCancel(str(exc)) from exc
    probed, probe_error = None, None
    if library is None or library.probe:
        try:
            probed = await probe(path)
        except ProbeFileMissingError:
            raise JobCancel(f"{path} disappeared before it was probed") from None
        except ProbeError as exc:
            probe_error = str(exc)
    file = WalkedFile(os.path.dirname(path), path, info.st_size, info.st_mtime_ns)
    examined = Examined(file, parsed, match, probed, probe_error)
    async with ctx.transaction() as conn:
        await repository.forget_unmatched(conn, [path])
        await record_file(conn, examined, library.id if library else None)
        await ctx.client.insert(SearchIndexArgs(series_id=match.series.id), conn=conn)
        output = {
            "match_type": match.match_type,
            "series_id": str(match.series.id),
            "episode_ids": [str(each) for each in match.episode_ids],
            "created_new_series": match.series.created,
            "probe_error": probe_error,
        }
        await ctx.complete_tx(conn, output)
    return output
