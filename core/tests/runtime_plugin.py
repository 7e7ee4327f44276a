"""A plugin that uses everything a worker reaches: settings, resources, a transaction on the
workers' pool, follow-up inserts on that transaction and completion inside it. The runtime
tests' witness is its table, ``runtime_note``, and the resource log :data:`RESOURCE_LOG`.

A ``note`` job writes a row, inserts a ``note_followup`` job on the same connection, then:
``fail`` raises after both (they roll back together); ``complete_tx`` completes the job inside
the transaction with output ``{"from": "tx"}`` and then returns ``{"from": "return"}``;
``hang_after_complete`` completes inside the transaction and then waits past the kind's
timeout, so the transaction never commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any, ClassVar

from pydantic import BaseModel

from riverhost import Job, JobArgs, JobContext, JobKind, Migration, hookimpl

RESOURCE_LOG: list[str] = []


class Settings(BaseModel):
    greeting: str = "hello"


class Resources:
    def __init__(self, greeting: str) -> None:
        self.greeting = greeting
        self.closed = False


class NoteArgs(JobArgs):
    kind: ClassVar[str] = "note_async"

    text: str
    fail: bool = False
    complete_tx: bool = False
    hang_after_complete: bool = False


class SyncNoteArgs(NoteArgs):
    kind: ClassVar[str] = "note_sync"


class FollowupArgs(JobArgs):
    kind: ClassVar[str] = "note_followup"

    text: str


_INSERT = "INSERT INTO runtime_note (job_id, text) VALUES (%s, %s)"


def _note_text(job: Job[NoteArgs], ctx: JobContext) -> str:
    assert isinstance(ctx.settings, Settings)
    resources = ctx.resources
    assert isinstance(resources, Resources)
    assert not resources.closed
    return f"{ctx.settings.greeting}/{resources.greeting}: {job.args.text}"


async def note(job: Job[NoteArgs], ctx: JobContext) -> dict[str, str]:
    async with ctx.transaction() as conn:
        await conn.execute(_INSERT, (job.id, _note_text(job, ctx)))
        await ctx.client.insert(FollowupArgs(text=job.args.text), conn=conn)
        if job.args.fail:
            raise RuntimeError("failed after writing")
        if job.args.complete_tx or job.args.hang_after_complete:
            ctx.report_progress("noting", 1, 1, "written")
            await ctx.complete_tx(conn, output={"from": "tx"})
        if job.args.hang_after_complete:
            RESOURCE_LOG.append("note:hanging")
            try:
                await asyncio.sleep(60)
            finally:
                RESOURCE_LOG.append("note:ended")
    return {"from": "return"}


def note_sync(job: Job[NoteArgs], ctx: JobContext) -> dict[str, str]:
    with ctx.transaction_sync() as conn:
        conn.execute(_INSERT, (job.id, _note_text(job, ctx)))
        ctx.client_sync.insert(FollowupArgs(text=job.args.text), conn=conn)
        if job.args.fail:
            raise RuntimeError("failed after writing")
        if job.args.complete_tx or job.args.hang_after_complete:
            ctx.report_progress("noting", 1, 1, "written")
            ctx.complete_tx_sync(conn, output={"from": "tx"})
        if job.args.hang_after_complete:
            ctx.wait_cancelled(60)
            time.sleep(0.05)  # still inside the transaction when the timeout lands
            ctx.raise_if_cancelled()
    return {"from": "return"}


async def followup(job: Job[FollowupArgs]) -> None:
    return None


@hookimpl
def riverhost_settings_model() -> type[BaseModel]:
    return Settings


@hookimpl
def riverhost_resources(settings: Settings) -> contextlib.AbstractAsyncContextManager[Any]:
    @contextlib.asynccontextmanager
    async def open_resources() -> AsyncIterator[Resources]:
        RESOURCE_LOG.append("runtime:enter")
        resources = Resources(settings.greeting.upper())
        try:
            yield resources
        finally:
            resources.closed = True
            RESOURCE_LOG.append("runtime:exit")

    return open_resources()


@hookimpl
def riverhost_migrations() -> list[Migration]:
    sql = "CREATE TABLE runtime_note (job_id bigint NOT NULL, text text NOT NULL)"
    return [Migration(version=1, name="notes", sql=sql)]


@hookimpl
def riverhost_job_kinds() -> list[JobKind]:
    timeout = timedelta(milliseconds=500)
    return [
        JobKind(kind="note_async", args=NoteArgs, worker=note, timeout=timeout, max_attempts=2),
        JobKind(
            kind="note_sync", args=SyncNoteArgs, worker=note_sync, timeout=timeout, max_attempts=2
        ),
        JobKind(kind="note_followup", args=FollowupArgs, worker=followup, queue="low"),
    ]


class NamedResource:
    """A plugin with a plain (sync) context manager as its resource, failing as told."""

    def __init__(self, name: str, *, fail_enter: bool = False, fail_exit: bool = False) -> None:
        self.name = name
        self.fail_enter = fail_enter
        self.fail_exit = fail_exit

    @hookimpl
    def riverhost_resources(self) -> contextlib.AbstractContextManager[str]:
        @contextlib.contextmanager
        def resource() -> Iterator[str]:
            if self.fail_enter:
                raise ConnectionError(f"{self.name} cannot reach its server")
            RESOURCE_LOG.append(f"{self.name}:enter")
            yield self.name
            RESOURCE_LOG.append(f"{self.name}:exit")
            if self.fail_exit:
                raise OSError(f"{self.name} failed to close")

        return resource()
