"""Which movie a file holds: an existing movie by title and year, else TMDb; the file-match worker.

:class:`Matcher` follows the seeds' matcher (``movie/library_matcher.go``) with its flagged
bugs fixed: candidates come from the movie table by normalised title or shared words and are
scored in Python (title similarity x 0.6 + year x 0.4, rapidfuzz; no pg_trgm needed). A score of
0.8 or more is the movie, provided the titles alone are 0.9 alike (the seed's rule let the year
carry two different titles of one year past 0.8). Otherwise TMDb is searched (again without the
year when the year finds nothing) and the best-scoring hit wins only if it scores 0.6 or more,
instead of the first hit whatever it is. A TMDb movie already in the table is reused rather
than inserted twice. Answers are shared per (title, year) within one matcher, so one scan asks
TMDb once per movie however many files it has.

``movie_file_match`` cancels (no retry) for a missing file or a non-video extension, and
completes with ``match_type: unmatched`` when no movie fits (the seeds' BUG-002 fix).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import OrderedDict
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from riverhost import Job, JobCancel, JobContext
from riverhost_media import (
    ParsedName,
    ProbeError,
    ProbeFileMissingError,
    ProbeResult,
    SearchMovieResult,
    TmdbClient,
    UnmatchedError,
    best_tmdb_hit,
    is_video,
    match_score,
    normalise_title,
    parse_movie_path,
    probe,
    title_similarity,
)
from riverhost_movie import repository
from riverhost_movie.jobs import FileMatchArgs, SearchIndexArgs, runtime
from riverhost_movie.metadata import MovieMetadata, fetch_metadata, save_metadata
from riverhost_movie.repository import Conn, FileRecord

__all__ = ["Match", "Matcher", "UnmatchedError", "quality_profile", "run_file_match"]

#: A movie already in the table is the file's movie from this score on (the seeds' 0.8)...
EXISTING_THRESHOLD = 0.8
#: ... and only if the titles alone are this close: with the year weighing 0.4, the seed's
#: rule took "Silent River of Echoes" (1980) for "Silent River of Dreams" (1980), 0.84.
EXISTING_TITLE_THRESHOLD = 0.9
#: A TMDb hit scoring less than this is not the file's movie.
TMDB_THRESHOLD = 0.6


@dataclass(frozen=True)
class Match:
    """A file's movie: one in the table (``movie_id``) or one to create (``metadata``)."""

    match_type: str  # "title" (found in the table) or "tmdb"
    confidence: float
    movie_id: uuid.UUID | None = None
    metadata: MovieMetadata | None = None


Transaction = Callable[[], AbstractAsyncContextManager[Conn]]


class Matcher:
    """Matches parsed names to movies, sharing answers per (normalised title, year)."""

    def __init__(
        self,
        transaction: Transaction,
        tmdb: TmdbClient,
        languages: list[str],
        *,
        remember: int = 4096,
    ) -> None:
        self._transaction = transaction
        self._tmdb = tmdb
        self._languages = languages
        self._remember = remember
        self._answers: OrderedDict[tuple[str, int | None], asyncio.Future[Match]] = OrderedDict()

    @staticmethod
    def _key(parsed: ParsedName) -> tuple[str, int | None]:
        return normalise_title(parsed.title), parsed.year

    async def match(self, parsed: ParsedName) -> Match:
        """The movie ``parsed`` names; raises :class:`UnmatchedError` or a TMDb error."""
        key = self._key(parsed)
        answer = self._answers.get(key)
        if answer is None:
            answer = asyncio.ensure_future(self._match(parsed))
            self._keep(key, answer)
        else:
            self._answers.move_to_end(key)
        return await asyncio.shield(answer)

    def saved(self, parsed: ParsedName, movie_id: uuid.UUID) -> None:
        """Remember that the movie ``parsed`` names is now ``movie_id`` in the table."""
        done: asyncio.Future[Match] = asyncio.get_running_loop().create_future()
        done.set_result(Match(match_type="title", confidence=1.0, movie_id=movie_id))
        self._keep(self._key(parsed), done)

    def _keep(self, key: tuple[str, int | None], answer: asyncio.Future[Match]) -> None:
        self._answers[key] = answer
        while len(self._answers) > self._remember:
            self._answers.popitem(last=False)

    async def _match(self, parsed: ParsedName) -> Match:
        async with self._transaction() as conn:
            candidates = await repository.movie_candidates(conn, parsed.title)
        scored = [
            (match_score(parsed.title, parsed.year, [c.title, c.original_title or ""], c.year), c)
            for c in candidates
            if max(title_similarity(parsed.title, t) for t in (c.title, c.original_title or ""))
            >= EXISTING_TITLE_THRESHOLD
        ]
        if scored:
            score, best = max(scored, key=lambda pair: pair[0])
            if score >= EXISTING_THRESHOLD:
                return Match(match_type="title", confidence=round(score, 3), movie_id=best.id)
        language = self._languages[0]

        async def search(year: int | None) -> list[SearchMovieResult]:
            found = await self._tmdb.search_movie(parsed.title, year=year, language=language)
            return found.results

        score, hit = await best_tmdb_hit(
            search,
            parsed.title,
            parsed.year,
            titles=lambda h: [h.title, h.original_title or ""],
            what="movie",
            describe=lambda h: f"{h.title!r} ({h.year or 'no year'})",
            threshold=TMDB_THRESHOLD,
        )
        async with self._transaction() as conn:
            cursor = await conn.execute(
                "SELECT id FROM movie.movies WHERE tmdb_id = %s AND deleted_at IS NULL", (hit.id,)
            )
            row = await cursor.fetchone()
        if row is not None:
            return Match(match_type="tmdb", confidence=round(score, 3), movie_id=row[0])
        metadata = await fetch_metadata(self._tmdb, hit.id, self._languages)
        return Match(match_type="tmdb", confidence=round(score, 3), metadata=metadata)


def quality_profile(parsed: ParsedName | None, probed: ProbeResult | None) -> str | None:
    """A Radarr-like quality name (``Bluray-1080p``) from the name's source and the frame size."""
    if parsed is None:
        return None
    resolution = (probed.resolution if probed else None) or parsed.screen_size
    source = {"Blu-ray": "Bluray", "Ultra HD Blu-ray": "Bluray", "Web": "WEBDL"}.get(
        parsed.source or "", parsed.source
    )
    parts = [part for part in (source, resolution) if part]
    return "-".join(parts) or None


async def run_file_match(job: Job[FileMatchArgs], ctx: JobContext) -> dict[str, Any]:
    """The ``movie_file_match`` worker."""
    settings, resources = runtime(ctx)
    path = os.path.abspath(job.args.file_path)
    if not is_video(path):
        raise JobCancel(f"{path} is not a video file (extension {os.path.splitext(path)[1]!r})")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise JobCancel(f"{path} does not exist") from None
    except OSError as exc:
        raise JobCancel(f"{path} cannot be read: {exc}") from exc
    library = settings.library_of(path)
    if not job.args.force_rematch:
        async with ctx.transaction() as conn:
            known = await repository.file_by_path(conn, path)
        if known is not None:
            return {"match_type": "exact", "movie_id": str(known[1]), "confidence": 1.0}
    parsed = await asyncio.to_thread(parse_movie_path, path)
    if parsed is None:
        return {"match_type": "unmatched", "reason": f"no title in the name of {path}"}
    matcher = Matcher(ctx.transaction, resources.tmdb, settings.tmdb.languages)
    try:
        match = await matcher.match(parsed)
    except UnmatchedError as exc:
        return {"match_type": "unmatched", "reason": str(exc)}
    probed: ProbeResult | None = None
    probe_error: str | None = None
    if library is None or library.probe:
        try:
            probed = await probe(path)
        except ProbeFileMissingError:
            raise JobCancel(f"{path} disappeared before it was probed") from None
        except ProbeError as exc:
            probe_error = str(exc)
    async with ctx.transaction() as conn:
        movie_id, created = match.movie_id, False
        if match.metadata is not None:
            movie_id, created = await save_metadata(conn, match.metadata)
        assert movie_id is not None
        if created:
            index = SearchIndexArgs(operation="index", movie_id=movie_id)
            await ctx.client.insert(index, conn=conn)
        record = FileRecord(
            path=path,
            size=info.st_size,
            mtime_ns=info.st_mtime_ns,
            movie_id=movie_id,
            library_id=library.id if library else None,
            match_type=match.match_type,
            confidence=match.confidence,
            probe=probed,
            probe_error=probe_error,
            quality_profile=quality_profile(parsed, probed),
        )
        await repository.upsert_file(conn, record)
        output = {
            "match_type": match.match_type,
            "movie_id": str(movie_id),
            "confidence": match.confidence,
            "created_new_movie": created,
            "probe_error": probe_error,
        }
        await ctx.complete_tx(conn, output)
    return output
