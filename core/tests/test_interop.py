"""River's own Python client and riverhost on one database.

Jobs inserted by ``riverqueue`` (PyPI, River's insert-only client) are worked by riverhost;
rows riverhost writes, through every outcome, are read back by riverqueue's own row parser
and satisfy River's table constraints.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from dataclasses import dataclass, field

import engine_plugin
import psycopg
import pytest
import riverqueue
import sqlalchemy
from engine_plugin import StepArgs
from riverqueue.driver import riversqlalchemy
from riverqueue.driver.riversqlalchemy.dbsqlc import models
from riverqueue.driver.riversqlalchemy.sql_alchemy_driver import job_from_row

from riverhost import AsyncClient, InsertOpts, UniqueOpts
from riverhost.client import JobFilter
from riverhost.config import load_config
from riverhost.registry import registry_from_objects
from riverhost.testing import running_host, wait_for_jobs


@dataclass
class RiverStepArgs:
    """Job args the way a riverqueue user writes them: a ``kind`` and ``to_json``."""

    steps: list[str]
    kind: str = StepArgs.kind
    extra: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"steps": self.steps, **self.extra})


@pytest.fixture
def river_client(database_url):
    engine = sqlalchemy.create_engine(
        "postgresql+psycopg://", creator=lambda: psycopg.connect(database_url)
    )
    yield riverqueue.Client(riversqlalchemy.Driver(engine)), engine
    engine.dispose()


def make_registry():
    config = load_config(environ={"RIVERHOST_JOBS__POLL_INTERVAL": "100ms"})
    return registry_from_objects(("engine", engine_plugin), config=config)


def test_jobs_inserted_by_riverqueue_are_worked_by_riverhost(database_url, river_client):
    client, engine = river_client
    single = client.insert(
        RiverStepArgs(["ok"]),
        riverqueue.InsertOpts(priority=2, tags=["from-river"], max_attempts=5),
    ).job
    retried = client.insert(RiverStepArgs(["fail", "ok"])).job
    bulk = client.insert_many([RiverStepArgs(["ok"]) for _ in range(20)])
    with engine.begin() as tx:
        rolled_back = client.insert_tx(tx, RiverStepArgs(["ok"])).job
        tx.rollback()

    async def scenario():
        async with (
            await AsyncClient.connect(database_url) as rh,
            running_host(make_registry(), database_url),
        ):
            page = await rh.list(JobFilter(kinds=[StepArgs.kind], limit=100))
            ids = [j.id for j in page.jobs]
            done = await wait_for_jobs(rh, ids)
            return ids, done

    ids, done = asyncio.run(scenario())

    assert bulk == 20
    assert len(ids) == 22
    assert rolled_back.id not in ids
    assert {j.state for j in done} == {"completed"}
    by_id = {j.id: j for j in done}
    assert by_id[single.id].priority == 2
    assert list(by_id[single.id].tags) == ["from-river"]
    assert by_id[retried.id].attempt == 2
    assert len(by_id[retried.id].errors) == 1


def test_rows_riverhost_writes_read_back_through_riverqueue(database_url, river_client):
    _, engine = river_client
    inserts = [
        (StepArgs(steps=["ok"]), InsertOpts(tags=["a", "b"], metadata={"team": "x"})),
        (StepArgs(steps=["fail", "ok"]), None),
        (StepArgs(steps=["fail"]), InsertOpts(max_attempts=3)),
        (StepArgs(steps=["cancel"]), None),
        (StepArgs(steps=["snooze", "ok"]), None),
        (StepArgs(steps=["progress"]), None),
        (StepArgs(steps=["timeout", "ok"]), None),
        (StepArgs(steps=["ok"], note="unique"), InsertOpts(unique=UniqueOpts(by_args=True))),
    ]

    async def scenario():
        async with (
            await AsyncClient.connect(database_url) as rh,
            running_host(make_registry(), database_url),
        ):
            results = [await rh.insert(args, opts) for args, opts in inserts]
            return await wait_for_jobs(rh, [r.job.id for r in results])

    done = asyncio.run(scenario())

    # riverqueue 0.7.0's row model predates River's unique_states column: read what it knows.
    columns = ", ".join(f.name for f in dataclasses.fields(models.RiverJob))
    with engine.connect() as conn:
        query = sqlalchemy.text(f"SELECT {columns} FROM river_job ORDER BY id")
        rows = conn.execute(query).mappings()
        parsed = [job_from_row(models.RiverJob(**row)) for row in rows]
    assert [j.id for j in parsed] == [j.id for j in done]
    assert [str(j.state) for j in parsed] == [
        "completed",
        "completed",
        "discarded",
        "cancelled",
        "completed",
        "completed",
        "completed",
        "completed",
    ]
    assert [len(j.errors or []) for j in parsed] == [0, 1, 3, 1, 0, 0, 1, 0]
    assert all(e.at.tzinfo is not None for j in parsed for e in j.errors or [])
    assert parsed[0].tags == ["a", "b"]
    assert parsed[-1].unique_key is not None
    assert all(j.finalized_at is not None for j in parsed)


def test_river_job_carries_every_constraint_of_rivers_schema(database_url):
    with psycopg.connect(database_url) as conn:
        names = {
            row[0]
            for row in conn.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'river_job'::regclass"
            )
        }
    assert names >= {
        "river_job_pkey",
        "finalized_or_finalized_at_null",
        "max_attempts_is_positive",
        "priority_in_range",
        "queue_length",
        "kind_length",
    }
