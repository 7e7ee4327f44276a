"""Accounting: thousands of jobs with scripted fates; every one ends exactly as its script says.

Each job's args script its attempts (succeed, fail, cancel, snooze, time out). Afterwards every
job's state, attempt count and error count must be what the script implies, no job may be
lost, and no attempt may have run twice (the plugin records every run it makes).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import engine_plugin
from engine_plugin import MAX_ATTEMPTS, StepArgs, SyncStepArgs

from riverhost import AsyncClient, InsertOpts, InsertParams
from riverhost.config import load_config
from riverhost.registry import registry_from_objects
from riverhost.testing import running_host, wait_for_jobs

QUEUES = ["critical", "high", "default", "low", "bulk"]
JOBS = 10_000
SCRIPTS = [
    (60, ["ok"]),
    (8, ["fail", "ok"]),
    (6, ["fail", "fail", "ok"]),
    (4, ["fail", "fail", "fail"]),
    (4, ["cancel"]),
    (3, ["fail", "cancel"]),
    (6, ["snooze", "ok"]),
    (3, ["snooze", "fail", "snooze", "ok"]),
    (3, ["timeout", "ok"]),
    (3, ["snooze", "timeout", "fail", "fail"]),
]


def expected(steps):
    """(state, attempt, errors, runs) that ``steps`` must lead to."""
    attempt = errors = runs = 0
    for step in steps:
        runs += 1
        if step == "snooze":
            continue
        attempt += 1
        if step == "ok":
            return "completed", attempt, errors, runs
        errors += 1
        if step == "cancel":
            return "cancelled", attempt, errors, runs
        if attempt >= MAX_ATTEMPTS:
            return "discarded", attempt, errors, runs
    raise AssertionError(f"script {steps} has no end")


def test_ten_thousand_scripted_jobs_end_exactly_as_scripted(database_url):
    rng = random.Random(20261124)
    weights, choices = zip(*SCRIPTS, strict=True)
    scripts = rng.choices(choices, weights=weights, k=JOBS)
    items = [
        InsertParams(
            rng.choice([StepArgs, SyncStepArgs])(steps=steps), InsertOpts(queue=rng.choice(QUEUES))
        )
        for steps in scripts
    ]
    config = load_config(environ={"RIVERHOST_JOBS__POLL_INTERVAL": "100ms"})
    registry = registry_from_objects(("engine", engine_plugin), config=config)
    engine_plugin.RUNS.clear()

    async def scenario():
        async with (
            await AsyncClient.connect(database_url, registry=registry) as client,
            running_host(registry, database_url),
        ):
            ids = [r.job.id for r in await client.insert_many(items)]
            return await wait_for_jobs(client, ids, timeout=240)

    jobs = asyncio.run(scenario())

    runs = Counter(job_id for job_id, _, _ in engine_plugin.RUNS)
    repeated = [run for run, n in Counter(engine_plugin.RUNS).items() if n > 1]
    assert repeated == []  # no attempt ran twice
    wrong = []
    for job, steps in zip(jobs, scripts, strict=True):
        state, attempt, errors, run_count = expected(steps)
        got = (job.state, job.attempt, len(job.errors), runs[job.id])
        if got != (state, attempt, errors, run_count):
            wrong.append((job.id, steps, got))
    assert wrong == []
    assert len(jobs) == JOBS
    assert Counter(job.queue for job in jobs).keys() == set(QUEUES)
