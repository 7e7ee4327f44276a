"""What both media plugins' hooks share: a job kind from its args' insert options, and the
resources (the TMDb client, the Typesense collection when the settings choose it).

The plugins import this inside their hooks, like every heavy module.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from riverhost import JobArgs, JobKind
from riverhost_media.settings import MediaSettings, tmdb_client, typesense_index
from riverhost_media.tmdb import TmdbClient
from riverhost_media.typesense import TypesenseIndex

__all__ = ["job_kind", "media_resources"]

R = TypeVar("R")


def job_kind(
    args: type[JobArgs], worker: Callable[..., object], minutes: int, description: str
) -> JobKind:
    """The kind of ``args``: queue, attempts and uniqueness once, in the args' insert_opts
    (the seeds' InsertOpts); a timeout of ``minutes``."""
    opts = args.insert_opts
    assert opts.queue is not None
    assert opts.max_attempts is not None
    return JobKind(
        kind=args.kind,
        args=args,
        worker=worker,
        queue=opts.queue,
        timeout=timedelta(minutes=minutes),
        max_attempts=opts.max_attempts,
        unique=opts.unique,
        description=description,
    )


def media_resources(
    settings: MediaSettings,
    *,
    collection: str,
    fields: Sequence[Mapping[str, Any]],
    resources: Callable[[TmdbClient, TypesenseIndex | None], R],
) -> contextlib.AbstractAsyncContextManager[R]:
    """A plugin's resources, made by ``resources`` from its open TMDb client and its open
    Typesense collection (``collection`` with ``fields``; None for the PostgreSQL backend)."""

    @contextlib.asynccontextmanager
    async def opened() -> AsyncIterator[R]:
        async with contextlib.AsyncExitStack() as stack:
            client = await stack.enter_async_context(tmdb_client(settings.tmdb))
            index = typesense_index(settings.search, collection=collection, fields=fields)
            if index is not None:
                await stack.enter_async_context(index)
            yield resources(client, index)

    return opened()
