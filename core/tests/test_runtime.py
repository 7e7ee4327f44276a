"""What a worker reaches through its context (settings, resources, a transaction, the client,
completion inside its transaction) and how plugin resources start and stop with the host."""

from __future__ import annotations

import asyncio
import time

import psycopg
import pytest
import runtime_plugin
from runtime_plugin import RESOURCE_LOG, NamedResource, NoteArgs, SyncNoteArgs

from riverhost import AsyncClient
from riverhost.db.migrate import migrate
from riverhost.errors import PluginResourceError
from riverhost.registry import registry_from_objects
from riverhost.testing import running_host, wait_for_jobs, work_one_job

SETTINGS = {"runtime": {"greeting": "hi"}}


def _notes(url: str, job_id: int) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT text FROM runtime_note WHERE job_id = %s", (job_id,))
        return [row[0] for row in rows]


def _run(url: str, args: NoteArgs):
    registry = registry_from_objects(("runtime", runtime_plugin), settings=SETTINGS)
    return asyncio.run(work_one_job(registry, url, args))


@pytest.fixture(autouse=True)
def _clear_resource_log():
    RESOURCE_LOG.clear()


@pytest.mark.parametrize("Args", [NoteArgs, SyncNoteArgs])
def test_a_worker_writes_with_its_settings_resources_and_a_followup_in_one_transaction(
    database_url, Args
):
    run = _run(database_url, Args(text="one"))

    assert run.state == "completed"
    assert run.output == {"from": "return"}
    assert _notes(database_url, run.job.id) == ["hi/HI: one"]
    assert [(f.kind, f.args, f.queue) for f in run.followups] == [
        ("note_followup", {"text": "one"}, "low")
    ]
    assert RESOURCE_LOG == ["runtime:enter", "runtime:exit"]


@pytest.mark.parametrize("Args", [NoteArgs, SyncNoteArgs])
def test_a_failing_worker_rolls_back_its_writes_and_its_followup_together(database_url, Args):
    run = _run(database_url, Args(text="two", fail=True))

    assert run.event == "job_failed"
    assert run.errors == ["RuntimeError: failed after writing"]
    assert _notes(database_url, run.job.id) == []
    assert run.followups == []


@pytest.mark.parametrize("Args", [NoteArgs, SyncNoteArgs])
def test_completion_in_the_worker_s_transaction_is_not_written_again(database_url, Args):
    run = _run(database_url, Args(text="three", complete_tx=True))

    assert run.event == "job_completed"
    assert run.state == "completed"
    # Had the completer written the job again, the returned output would have replaced it.
    assert run.output == {"from": "tx"}
    assert run.progress is not None
    assert (run.progress.phase, run.progress.percent) == ("noting", 100.0)
    assert _notes(database_url, run.job.id) == ["hi/HI: three"]
    assert len(run.followups) == 1


@pytest.mark.parametrize("Args", [NoteArgs, SyncNoteArgs])
def test_a_completion_whose_transaction_never_commits_leaves_the_job_to_run_again(
    database_url, Args
):
    run = _run(database_url, Args(text="four", hang_after_complete=True))

    assert run.event == "job_failed"
    assert run.state in ("available", "retryable")
    assert run.errors == ["TimeoutError: job timed out after 500ms"]
    assert _notes(database_url, run.job.id) == []
    assert run.followups == []


def test_a_resource_that_fails_to_start_stops_the_start_naming_its_plugin(database_url):
    registry = registry_from_objects(
        ("first", NamedResource("first")),
        ("broken", NamedResource("broken", fail_enter=True)),
        ("last", NamedResource("last")),
    )

    async def scenario() -> None:
        async with running_host(registry, database_url):
            pass

    with pytest.raises(PluginResourceError) as raised:
        asyncio.run(scenario())

    assert raised.value.plugin.name == "broken"
    assert "ConnectionError: broken cannot reach its server" in str(raised.value)
    assert "RIVERHOST_DISABLED_PLUGINS=broken" in str(raised.value)
    assert RESOURCE_LOG == ["first:enter", "first:exit"]


def test_a_resource_that_fails_to_close_does_not_keep_the_others_open(database_url):
    registry = registry_from_objects(
        ("first", NamedResource("first")),
        ("leaky", NamedResource("leaky", fail_exit=True)),
        ("last", NamedResource("last")),
    )

    async def scenario() -> dict[str, object]:
        async with running_host(registry, database_url) as host:
            return {name: runtime.resources for name, runtime in host.runtimes.items()}

    resources = asyncio.run(scenario())

    assert resources == {"first": "first", "leaky": "leaky", "last": "last"}
    assert RESOURCE_LOG == [
        "first:enter",
        "leaky:enter",
        "last:enter",
        "last:exit",
        "leaky:exit",
        "first:exit",
    ]


def test_resources_close_only_after_the_last_attempt_has_ended(database_url):
    registry = registry_from_objects(("runtime", runtime_plugin), settings=SETTINGS)

    async def scenario() -> tuple[str, list[str]]:
        await asyncio.to_thread(migrate, database_url, lines=list(registry.migrations.values()))
        async with await AsyncClient.connect(database_url, registry=registry) as client:
            async with running_host(registry, database_url) as host:
                inserted = await client.insert(NoteArgs(text="slow", hang_after_complete=True))
                await wait_for_jobs(client, [inserted.job.id], ["running"])
                deadline = time.monotonic() + 10
                while "note:hanging" not in RESOURCE_LOG:  # the worker is inside its wait
                    assert time.monotonic() < deadline, RESOURCE_LOG
                    await asyncio.sleep(0.01)
                host.stop()
                host.stop()  # a hard stop: running attempts are told to stop at once
            return (await client.get(inserted.job.id)).state, _notes(database_url, inserted.job.id)

    state, notes = asyncio.run(scenario())

    assert RESOURCE_LOG == ["runtime:enter", "note:hanging", "note:ended", "runtime:exit"]
    assert state == "available"  # interrupted by the stop: its attempt given back
    assert notes == []
