"""The notification kind end to end: every agent type against real loopback receivers, a
retry that sends only to the agent that failed, filters, and the alert on discarded jobs."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from typing import ClassVar

import psycopg
import pytest
from receivers import Receiver, self_signed, smtp_server

from riverhost import AsyncClient, Job, JobArgs, JobKind, hookimpl
from riverhost.db.migrate import migrate
from riverhost.testing import running_host, wait_for_jobs
from riverhost_maintenance import plugin
from riverhost_maintenance.args import NotificationArgs
from riverhost_maintenance.notify import send_email
from riverhost_maintenance.settings import EmailAgent

PLUGIN = ("maintenance", plugin)
QUIET = {"periodic": {"auth_cleanup_daily": {"enabled": False}}}


@pytest.fixture
def receiver(httpserver):
    receiver = Receiver()
    httpserver.expect_request("").respond_with_handler(receiver.handle)
    return receiver


def _http_agents(httpserver) -> list[dict[str, object]]:
    base = httpserver.url_for("").rstrip("/")
    return [
        {
            "type": "webhook",
            "name": "ops_hook",
            "url": f"{base}/hook",
            "auth": "bearer",
            "token": "s3cret",
            "payload_template": {
                "notification_type": "${event_type}",
                "subject": "${title}",
                "media": {"tmdbId": "${data.tmdb_id}"},
            },
        },
        {
            "type": "discord",
            "name": "discord",
            "webhook_url": f"{base}/api/webhooks/123/token",
        },
        {"type": "gotify", "name": "gotify", "server_url": base, "app_token": "AbCd"},
        {
            "type": "ntfy",
            "name": "ntfy",
            "server_url": base,
            "topic": "riverhost",
            "access_token": "tk_x",
        },
    ]


def _event(**data: object) -> NotificationArgs:
    return NotificationArgs(
        event_type="library.scan_done",
        data={"title": "Scan done: Films", "message": "12 movies added", "tmdb_id": 603, **data},
    )


def test_every_agent_gets_the_event_in_its_services_shape(run_job, httpserver, receiver):
    controller, smtp, port = smtp_server()
    try:
        agents = [
            *_http_agents(httpserver),
            {
                "type": "email",
                "name": "mail",
                "host": "127.0.0.1",
                "port": port,
                "security": "none",
                "from_address": "rh@example.test",
                "to_addresses": ["ops@example.test"],
            },
        ]
        settings = {"maintenance": {**QUIET, "agents": agents}}
        run = asyncio.run(run_job(PLUGIN, _event(), settings=settings))
    finally:
        controller.stop()

    assert run.state == "completed", run.errors
    assert {name: r["result"] for name, r in run.output["agents"].items()} == {
        "discord": "sent",
        "gotify": "sent",
        "mail": "sent",
        "ntfy": "sent",
        "ops_hook": "sent",
    }
    (hook,) = receiver.to("/hook")
    assert hook.headers["Authorization"] == "Bearer s3cret"
    assert json.loads(hook.body) == {
        "notification_type": "library.scan_done",
        "subject": "Scan done: Films",
        "media": {"tmdbId": "603"},
    }
    (discord,) = receiver.to("/api/webhooks/123/token")
    embed = json.loads(discord.body)["embeds"][0]
    assert (embed["title"], embed["description"], embed["color"]) == (
        "Scan done: Films",
        "12 movies added",
        0x3498DB,
    )
    (gotify,) = receiver.to("/message")
    assert gotify.headers["X-Gotify-Key"] == "AbCd"
    assert json.loads(gotify.body)["priority"] == 5
    (ntfy,) = receiver.to("/riverhost")
    assert (ntfy.body, ntfy.headers["Title"], ntfy.headers["Authorization"]) == (
        b"12 movies added",
        "Scan done: Films",
        "Bearer tk_x",
    )
    ((sender, recipients, mail),) = smtp.messages
    assert (sender, recipients, mail["Subject"]) == (
        "rh@example.test",
        ["ops@example.test"],
        "Scan done: Films",
    )
    assert "12 movies added" in mail.get_payload()


def test_a_retry_sends_only_to_the_agents_that_failed(
    database_url, plugin_registry, httpserver, receiver
):
    receiver.failing.add("/message")  # gotify answers 500
    settings = {"maintenance": {**QUIET, "agents": _http_agents(httpserver)}}
    registry = plugin_registry(PLUGIN, settings=settings)
    migrate(database_url, lines=list(registry.migrations.values()))

    async def main():
        async with (
            await AsyncClient.connect(database_url, registry=registry, max_size=2) as client,
            running_host(registry, database_url) as host,
        ):
            ended = host.events.subscribe(["job_completed", "job_failed"])
            job_id = (await client.insert(_event())).job.id
            first = await ended.get(timeout=20)
            failed = await client.get(job_id)
            receiver.failing.clear()
            await client.retry(job_id)
            (done,) = await wait_for_jobs(client, [job_id], timeout=20)
            return first, failed, done

    first, failed, done = asyncio.run(main())

    assert first.kind == "job_failed"
    assert "1 of 4 agents failed: gotify: HTTP 500" in failed.errors[-1].error
    assert failed.metadata["output"]["agents"]["gotify"]["result"] == "failed"
    assert failed.metadata["output"]["agents"]["ntfy"]["result"] == "sent"
    assert done.state == "completed"
    agents = done.metadata["output"]["agents"]
    assert agents["gotify"] == {"result": "sent", "attempt": 2}
    assert agents["ops_hook"]["attempt"] == 1  # sent on the first attempt, not again
    assert [len(receiver.to(p)) for p in ("/hook", "/api/webhooks/123/token", "/riverhost")] == [
        1,
        1,
        1,
    ]
    assert len(receiver.to("/message")) == 2
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            'SELECT agent, state, tries FROM "maintenance".notification_delivery ORDER BY agent'
        ).fetchall()
    assert rows == [
        ("discord", "sent", 1),
        ("gotify", "sent", 2),
        ("ntfy", "sent", 1),
        ("ops_hook", "sent", 1),
    ]


def test_filters_and_agent_names_choose_the_agents(run_job, httpserver, receiver):
    agents = _http_agents(httpserver)
    agents[1]["event_categories"] = ["auth"]  # discord: auth events only
    agents[3]["enabled"] = False  # ntfy
    settings = {"maintenance": {**QUIET, "agents": agents}}
    event = _event().model_copy(update={"agent_names": ["ops_hook", "discord", "ntfy", "pager"]})

    run = asyncio.run(run_job(PLUGIN, event, settings=settings))

    assert run.state == "completed", run.errors
    assert {name: r["result"] for name, r in run.output["agents"].items()} == {
        "discord": "filtered",
        "ntfy": "disabled",
        "ops_hook": "sent",
        "pager": "unknown_agent",
    }
    assert [r.path for r in receiver.requests] == ["/hook"]


class FailingArgs(JobArgs):
    kind: ClassVar[str] = "always_fails"


class Failing:
    @hookimpl
    def riverhost_job_kinds(self):
        async def work(job: Job[FailingArgs]) -> None:
            raise RuntimeError("the disk is full")

        return [JobKind(kind="always_fails", args=FailingArgs, worker=work, max_attempts=1)]


def test_a_discarded_job_alerts_the_operator(database_url, plugin_registry, httpserver, receiver):
    agents = _http_agents(httpserver)[:1]
    settings = {"maintenance": {**QUIET, "agents": agents, "alert_on_discarded": {"enabled": True}}}
    registry = plugin_registry(PLUGIN, ("failing", Failing()), settings=settings)
    migrate(database_url, lines=list(registry.migrations.values()))

    async def main():
        async with (
            await AsyncClient.connect(database_url, registry=registry, max_size=2) as client,
            running_host(registry, database_url),
        ):
            await client.insert(FailingArgs())
            deadline = time.monotonic() + 20
            while not receiver.to("/hook") and time.monotonic() < deadline:
                await asyncio.sleep(0.05)

    asyncio.run(main())

    (alert,) = receiver.to("/hook")
    body = json.loads(alert.body)
    assert body["notification_type"] == "system.job_discarded"
    assert body["subject"].endswith("(always_fails) was discarded")


def test_email_over_starttls_with_a_self_signed_certificate(tmp_path):
    controller, smtp, port = smtp_server(self_signed(tmp_path))
    agent = EmailAgent(
        type="email",
        name="mail",
        host="127.0.0.1",
        port=port,
        security="starttls",
        skip_verify=True,
        from_address="rh@example.test",
        to_addresses=["ops@example.test"],
        timeout=timedelta(seconds=10),
    )
    try:
        asyncio.run(send_email(agent, _event()))
    finally:
        controller.stop()
    ((_, recipients, mail),) = smtp.messages
    assert (recipients, mail["Subject"]) == (["ops@example.test"], "Scan done: Films")


def test_a_refused_email_is_a_delivery_error(tmp_path):
    controller, _, port = smtp_server(self_signed(tmp_path))  # requires STARTTLS
    agent = EmailAgent(
        type="email",
        name="mail",
        host="127.0.0.1",
        port=port,
        security="none",
        from_address="rh@example.test",
        to_addresses=["ops@example.test"],
    )
    try:
        with pytest.raises(Exception, match=r"SMTP 127\.0\.0\.1"):
            asyncio.run(send_email(agent, _event()))
    finally:
        controller.stop()
