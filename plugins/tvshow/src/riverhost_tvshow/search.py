"""Search: the PostgreSQL full-text index of series (the default backend) and its worker.

Each indexed series has one row in ``tvshow.search_documents``: a ``tsvector`` ('simple'
configuration, so names and foreign titles match as written) of its titles and translations
(weight A, with accent-free forms), year, genres and networks (B), cast (C), overview and
episode titles (D), plus ``has_file``. ``tvshow_search_index`` indexes one series (the seed's
was a stub) or, with ``full_reindex``, rebuilds the whole index in one transaction (readers
see the old index until the new one commits). With neither set there is nothing to do and the
job says so. Typesense is refused at configuration time until it is written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from riverhost import Job, JobContext
from riverhost_media import normalise_title
from riverhost_tvshow.jobs import SearchIndexArgs, runtime
from riverhost_tvshow.repository import Conn

__all__ = ["SearchHit", "index_series", "reindex_all", "run_search_index", "search_series"]

_INDEX = """
INSERT INTO tvshow.search_documents (series_id, title, year, has_file, document, indexed_at)
SELECT s.id, s.title, s.year,
    EXISTS (SELECT 1 FROM tvshow.episode_files f JOIN tvshow.episodes e ON e.id = f.episode_id
            WHERE e.series_id = s.id AND f.deleted_at IS NULL),
    setweight(to_tsvector('simple', concat_ws(' ', s.title, s.original_title, s.title_norm,
        s.original_title_norm,
        (SELECT string_agg(value, ' ') FROM jsonb_each_text(s.titles_i18n)))), 'A')
    || setweight(to_tsvector('simple', concat_ws(' ', s.year,
        (SELECT string_agg(g.name, ' ') FROM tvshow.series_genres g WHERE g.series_id = s.id),
        (SELECT string_agg(n.name, ' ') FROM tvshow.series_networks sn
         JOIN tvshow.networks n ON n.id = sn.network_id WHERE sn.series_id = s.id))), 'B')
    || setweight(to_tsvector('simple', coalesce((
        SELECT string_agg(c.name, ' ') FROM tvshow.series_credits c
        WHERE c.series_id = s.id AND c.credit_type = 'cast' AND c.cast_order < 20), '')), 'C')
    || setweight(to_tsvector('simple', concat_ws(' ', s.overview,
        (SELECT string_agg(e.title, ' ') FROM tvshow.episodes e WHERE e.series_id = s.id))),
        'D'),
    now()
FROM tvshow.series s
WHERE s.deleted_at IS NULL AND (%(all)s OR s.id = ANY(%(ids)s))
ON CONFLICT (series_id) DO UPDATE SET
    title = EXCLUDED.title, year = EXCLUDED.year, has_file = EXCLUDED.has_file,
    document = EXCLUDED.document, indexed_at = now()
"""

_SEARCH = """
SELECT d.series_id, d.title, d.year, d.has_file, ts_rank(d.document, q.query) AS rank
FROM tvshow.search_documents d,
     (SELECT websearch_to_tsquery('simple', %(raw)s)
             || websearch_to_tsquery('simple', %(plain)s) AS query) q
WHERE d.document @@ q.query
ORDER BY rank DESC, d.title
LIMIT %(limit)s
"""


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One series found by :func:`search_series`, best first."""

    series_id: uuid.UUID
    title: str
    year: int | None
    has_file: bool
    rank: float


async def index_series(conn: Conn, series_ids: list[uuid.UUID]) -> int:
    """(Re)index these series; drop the ones that no longer exist; return how many indexed."""
    count = (await conn.execute(_INDEX, {"all": False, "ids": series_ids})).rowcount
    await conn.execute(
        "DELETE FROM tvshow.search_documents d WHERE d.series_id = ANY(%s) AND NOT EXISTS "
        "(SELECT 1 FROM tvshow.series s WHERE s.id = d.series_id AND s.deleted_at IS NULL)",
        (series_ids,),
    )
    return count


async def reindex_all(conn: Conn) -> int:
    """Rebuild the whole index in the caller's transaction; return how many series."""
    await conn.execute("DELETE FROM tvshow.search_documents")
    return (await conn.execute(_INDEX, {"all": True, "ids": []})).rowcount


async def search_series(conn: Conn, query: str, *, limit: int = 20) -> list[SearchHit]:
    """Series matching ``query`` (web-search syntax), best first."""
    params = {"raw": query, "plain": normalise_title(query), "limit": limit}
    cursor = await conn.execute(_SEARCH, params)
    return [SearchHit(*row) for row in await cursor.fetchall()]


async def run_search_index(job: Job[SearchIndexArgs], ctx: JobContext) -> dict[str, Any]:
    """The ``tvshow_search_index`` worker (PostgreSQL backend)."""
    runtime(ctx)
    args = job.args
    if not args.full_reindex and args.series_id is None:
        return {"operation": "none", "reason": "neither series_id nor full_reindex was given"}
    operation = "reindex" if args.full_reindex else "index"
    ctx.report_progress(operation, 0, 1, str(args.series_id or "all"))
    async with ctx.transaction() as conn:
        if args.full_reindex:
            count = await reindex_all(conn)
        else:
            assert args.series_id is not None
            count = await index_series(conn, [args.series_id])
        output: dict[str, Any] = {"operation": operation, "indexed": count}
        if count == 0 and args.series_id is not None and not args.full_reindex:
            output["reason"] = f"series {args.series_id} does not exist (or was deleted)"
        ctx.report_progress("completed", 1, 1, operation)
        await ctx.complete_tx(conn, output)
    return output
