"""The HTTP server over real HTTP on loopback, against the real PostgreSQL: the admin API's
routes and shapes, auth, webhooks, health, limits, and the event stream."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time

import engine_plugin
import httpx
import psycopg
import pytest
import webhook_plugin
from engine_plugin import LongStepArgs

from riverhost.config import load_config
from riverhost.db.migrate import migrate
from riverhost.errors import RegistryError
from riverhost.http.auth import HttpConfigError, check_listen
from riverhost.http.server import _bind
from riverhost.http.testing import Served
from riverhost.registry import registry_from_objects
from riverhost.testing import command_environment

TOKEN = "t0ken-for-ops"


def make_registry(*, tokens: bool = False, **env: str):
    environ = {"RIVERHOST_JOBS__POLL_INTERVAL": "200ms", "RIVERHOST_JOBS__SHUTDOWN_TIMEOUT": "1s"}
    if tokens:
        environ["RIVERHOST_HTTP__TOKENS__OPS"] = TOKEN
    environ.update(env)
    return registry_from_objects(
        ("engine", engine_plugin),
        ("webhooks", webhook_plugin),
        config=load_config(environ=environ),
    )


@pytest.fixture
def served(database_url):
    with Served(make_registry(), database_url) as running:
        yield running


@pytest.fixture
def api(served):
    with httpx.Client(base_url=served.url + "/api/v1/admin", timeout=10) as client:
        yield client


# --------------------------------------------------------------------------- auth


def test_admin_routes_need_a_token_when_the_server_has_tokens(database_url):
    with Served(make_registry(tokens=True), database_url) as served:
        url = served.url + "/api/v1/admin/jobs"
        without = httpx.get(url)
        wrong = httpx.get(url, headers={"Authorization": "Bearer nope"})
        right = httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
        health = httpx.get(served.url + "/healthz")

    assert without.status_code == 401
    assert without.headers["www-authenticate"] == "Bearer"
    assert wrong.status_code == 403
    assert right.status_code == 200
    assert health.status_code == 200


def test_the_dashboard_sends_a_visitor_without_a_token_to_log_in_and_keeps_the_token(
    database_url,
):
    with (
        Served(make_registry(tokens=True), database_url) as served,
        httpx.Client(base_url=served.url) as browser,
    ):
        first = browser.get("/jobs?state=running")
        refused = browser.post("/login", data={"token": "nope", "next": "/jobs"})
        login = browser.post("/login", data={"token": TOKEN, "next": "/jobs?state=running"})
        page = browser.get("/jobs?state=running")
        offsite = browser.post("/login", data={"token": TOKEN, "next": "//evil.example/"})

    assert first.status_code == 303
    assert first.headers["location"] == "/login?next=/jobs%3Fstate%3Drunning"
    assert refused.status_code == 403
    assert login.status_code == 303
    assert login.headers["location"] == "/jobs?state=running"
    assert page.status_code == 200
    assert "ops" in page.text
    assert offsite.headers["location"] == "/"


def test_a_non_loopback_address_without_a_token_is_refused_saying_why():
    with pytest.raises(HttpConfigError) as refused:
        check_listen("0.0.0.0:8080", {})

    assert "refusing to listen on 0.0.0.0:8080 with no token" in str(refused.value)
    assert "RIVERHOST_HTTP__TOKENS__OPS" in str(refused.value)
    assert check_listen("127.0.0.1:8080", {}) == ("127.0.0.1", 8080)
    assert check_listen("[::1]:0", {}) == ("::1", 0)


def test_served_connections_have_nagle_off():
    # A response goes out as head then body; with Nagle on, the body of every answer on a
    # kept-alive connection waited for the client's delayed ACK (~40 ms a request).
    async def accepted_nodelay() -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(handle, sock=_bind("127.0.0.1", 0))
        async with server:
            _, writer = await asyncio.open_connection(*server.sockets[0].getsockname()[:2])
            nodelay = await asyncio.wait_for(seen, 5)
            writer.close()
        return nodelay

    assert asyncio.run(accepted_nodelay()) != 0


def test_serve_refuses_to_start_on_a_public_address_without_a_token(database_url):
    env = command_environment(RIVERHOST_DATABASE_URL=database_url)
    done = subprocess.run(
        [sys.executable, "-m", "riverhost", "serve", "--listen", "0.0.0.0:0", "--no-migrate"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )

    assert done.returncode == 1
    assert "refusing to listen on 0.0.0.0:0 with no token" in done.stderr


# --------------------------------------------------------------------------- jobs


def _insert(api, kind="steps_async", args=None, **body):
    answer = api.post("/jobs", json={"kind": kind, "args": args or {"steps": ["ok"]}, **body})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_the_seeds_job_list_answers_jobs_and_total_with_the_seeds_fields(api):
    inserted = [_insert(api)["job"]["id"] for _ in range(3)]
    _insert(api, queue="low")

    answer = api.get("/jobs", params={"state": "available", "limit": 2, "queue": "default"})

    body = answer.json()
    assert answer.status_code == 200
    assert body["total"] == 3
    assert body["total_is_estimate"] is False
    assert [job["id"] for job in body["jobs"]] == inserted[::-1][:2]
    seeds = {
        "id",
        "state",
        "queue",
        "kind",
        "args",
        "attempt",
        "max_attempts",
        "created_at",
        "scheduled_at",
    }
    assert seeds <= set(body["jobs"][0])
    assert body["jobs"][0]["args"] == {"steps": ["ok"], "note": "", "seconds": 1.0}
    following = api.get(
        "/jobs", params={"state": "available", "queue": "default", "after": body["cursor"]}
    ).json()
    assert [job["id"] for job in following["jobs"]] == [inserted[0]]


def test_the_total_past_a_thousand_is_an_estimate_and_says_so(served, api):
    with psycopg.connect(served.database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO river_job (kind, args, max_attempts, queue) "
            "SELECT 'bulk_kind', '{}', 25, 'bulk' FROM generate_series(1, 1050)"
        )
        conn.execute("ANALYZE river_job")

    body = api.get("/jobs", params={"kind": "bulk_kind", "limit": 1}).json()

    assert body["total_is_estimate"] is True
    assert body["total"] > 1_000


def test_an_insert_of_a_declared_kind_is_checked_by_its_model_naming_the_field(api):
    bad = api.post("/jobs", json={"kind": "steps_async", "args": {"steps": "ok"}})
    unknown_field = api.post("/jobs", json={"kind": "x", "args": {}, "colour": "red"})
    undeclared = api.post("/jobs", json={"kind": "someone_elses", "args": {"a": 1}})

    assert bad.status_code == 422
    assert "StepArgs" in bad.json()["detail"][0]["msg"]
    assert "steps" in bad.json()["detail"][0]["msg"]
    assert unknown_field.status_code == 422
    assert unknown_field.json()["detail"][0]["loc"] == ["body", "colour"]
    assert undeclared.status_code == 201
    assert api.get("/jobs").json()["total"] == 1


def test_cancel_retry_and_delete_act_and_are_recorded_under_the_token_name(database_url):
    with (
        Served(make_registry(tokens=True), database_url) as served,
        httpx.Client(
            base_url=served.url + "/api/v1/admin", headers={"Authorization": f"Bearer {TOKEN}"}
        ) as api,
    ):
        job_id = _insert(api)["job"]["id"]
        cancelled = api.delete(f"/jobs/{job_id}").json()
        retried = api.post(f"/jobs/{job_id}/retry").json()
        again = api.post(f"/jobs/{job_id}/cancel").json()
        deleted = api.post(f"/jobs/{job_id}/delete")
        missing = api.get(f"/jobs/{job_id}")
        activity = api.get("/activity", params={"job_id": job_id}).json()

    assert cancelled["state"] == "cancelled"
    assert retried["state"] == "available"
    assert again["state"] == "cancelled"
    assert deleted.status_code == 200
    assert missing.status_code == 404
    assert f"job {job_id} does not exist" in missing.json()["detail"]
    assert [(a["action"], a["actor"], a["via"]) for a in activity] == [
        ("delete", "ops", "api"),
        ("cancel", "ops", "api"),
        ("retry", "ops", "api"),
        ("cancel", "ops", "api"),
        ("insert", "ops", "api"),
    ]


def test_a_running_job_cancelled_through_the_api_stops_and_the_stream_tells(database_url):
    registry = make_registry()
    with Served(registry, database_url, host=True) as served:
        api = httpx.Client(base_url=served.url + "/api/v1/admin", timeout=10)
        job_id = _insert(api, kind=LongStepArgs.kind, args={"steps": ["progress_wait"]})["job"][
            "id"
        ]
        seen = []
        with httpx.stream(
            "GET", served.url + "/api/v1/admin/events", params={"job": job_id}, timeout=20
        ) as stream:
            event = None
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    data = json.loads(line.removeprefix("data: "))
                    seen.append((event, data))
                    if event == "progress":
                        running = api.get(f"/jobs/{job_id}").json()
                        progress = api.get(f"/jobs/{job_id}/progress").json()
                        refused = api.post(f"/jobs/{job_id}/delete")
                        api.delete(f"/jobs/{job_id}")
                    if event == "job":
                        break
        final = api.get(f"/jobs/{job_id}").json()
        hosts = api.get("/hosts").json()
        api.close()

    assert seen[0][0] == "progress"
    assert seen[0][1]["progress"]["message"] == "first of three"
    assert running["state"] == "running"
    assert progress == {
        "phase": "waiting",
        "current": 1,
        "total": 3,
        "percent": 33.33,
        "message": "first of three",
    }
    assert refused.status_code == 409
    assert seen[-1] == (
        "job",
        {"job_id": job_id, "kind": "steps_long", "queue": "default", "state": "cancelled"},
    )
    assert final["state"] == "cancelled"
    assert len(hosts) == 1
    assert hosts[0]["leader"] in (True, False)
    assert "steps_long" in hosts[0]["kinds"]


def test_the_event_stream_sends_every_job_of_a_batch_finalized_at_one_moment(served):
    """A completer batch finalizes up to 2,000 jobs at one finalized_at: the stream pages by
    (finalized_at, id), so none of them is skipped (it once sent 500 a look and lost the rest)."""
    ids: set[int] = set()
    with httpx.stream("GET", served.url + "/api/v1/admin/events", timeout=30) as stream:
        lines = stream.iter_lines()
        assert next(lines) == ": listening"
        with psycopg.connect(served.database_url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO river_job (kind, args, max_attempts, state, finalized_at) "
                "SELECT 'batch', '{}', 25, 'completed', now() FROM generate_series(1, 1500)"
            )
        deadline = time.monotonic() + 20
        for line in lines:
            if line.startswith("data: "):
                ids.add(json.loads(line.removeprefix("data: "))["job_id"])
            if len(ids) >= 1500 or time.monotonic() > deadline:
                break

    assert len(ids) == 1500


# --------------------------------------------------------------------------- the fleet


def test_queues_pause_and_resume_for_the_fleet(api):
    _insert(api, queue="low")

    paused = api.post("/queues/low/pause").json()
    resumed = api.post("/queues/low/resume").json()

    assert {q["name"]: q["paused"] for q in paused}["low"] is True
    assert {q["name"]: q["paused"] for q in resumed}["low"] is False
    assert [a["action"] for a in api.get("/activity").json()][:2] == ["resume", "pause"]


def test_plugins_and_kinds_list_what_the_server_loaded(api):
    plugins = {p["name"]: p for p in api.get("/plugins").json()}
    kinds = {k["kind"]: k for k in api.get("/kinds").json()}

    assert plugins["webhooks"]["webhooks"] == ["/api/v1/webhooks/acme"]
    assert "steps_async" in plugins["engine"]["kinds"]
    assert kinds["steps_async"]["timeout"] == "300ms"
    assert kinds["hook_event"]["plugin"] == "webhooks"


# --------------------------------------------------------------------------- webhooks


def test_a_webhook_checks_its_secret_validates_its_body_and_inserts_its_job(served):
    url = served.url + "/api/v1/webhooks/acme"
    secret = {"X-Webhook-Secret": webhook_plugin.SECRET}
    body = {"eventType": "Download", "title": "Alien", "extra": {"ignored": True}}

    without = httpx.post(url, json=body)
    wrong = httpx.post(url, json=body, headers={"X-Webhook-Secret": "guess"})
    missing_field = httpx.post(url, json={"eventType": "Download"}, headers=secret)
    not_json = httpx.post(url, content=b"{nope", headers=secret)
    ignored = httpx.post(url, json={"eventType": "Test", "title": "t"}, headers=secret)
    taken = httpx.post(url, json=body, headers=secret)
    job = httpx.get(f"{served.url}/api/v1/admin/jobs/{taken.json()['job_id']}").json()

    assert without.status_code == 401
    assert wrong.status_code == 403
    assert missing_field.status_code == 422
    assert missing_field.json()["detail"][0]["loc"] == ["body", "title"]
    assert not_json.status_code == 422
    assert ignored.status_code == 202
    assert ignored.json() == {"job_id": None, "duplicate": False}
    assert taken.status_code == 202
    assert (job["kind"], job["args"]) == (
        "hook_event",
        {"event_type": "Download", "title": "Alien"},
    )


def test_two_plugins_claiming_one_webhook_path_is_a_registration_error_naming_both():
    with pytest.raises(RegistryError) as refused:
        registry_from_objects(("webhooks", webhook_plugin), ("claimant", webhook_plugin.Claimant()))

    message = str(refused.value)
    assert "webhook path 'acme' is claimed more than once" in message
    assert "admin action path 'acme/sync' is claimed more than once" in message
    assert "webhooks (" in message
    assert "claimant (" in message


def test_a_plugin_s_admin_action_needs_a_token_and_inserts_its_job_once(database_url):
    with Served(make_registry(tokens=True), database_url) as served:
        url = served.url + "/api/v1/admin/integrations/acme/sync"
        auth = {"Authorization": f"Bearer {TOKEN}"}
        without = httpx.post(url)
        first = httpx.post(url, headers=auth)
        again = httpx.post(url, headers=auth)
        job = httpx.get(f"{served.url}/api/v1/admin/jobs/{first.json()['job_id']}", headers=auth)
        activity = httpx.get(f"{served.url}/api/v1/admin/activity", headers=auth).json()
        described = httpx.get(served.url + "/openapi.json").json()

    assert without.status_code == 401
    assert first.status_code == 202
    assert first.json()["duplicate"] is False
    assert again.json() == {"job_id": first.json()["job_id"], "duplicate": True}
    assert (job.json()["kind"], job.json()["args"]) == (
        "hook_event",
        {"event_type": "sync", "title": "all"},
    )
    assert activity[0]["actor"] == "ops"
    assert activity[0]["action"] == "insert"
    assert described["paths"]["/api/v1/admin/integrations/acme/sync"]["post"]["summary"] == (
        "Sync Acme"
    )


def test_a_disabled_plugin_s_webhook_does_not_exist(database_url):
    registry = registry_from_objects(("engine", engine_plugin))
    with Served(registry, database_url) as served:
        answer = httpx.post(served.url + "/api/v1/webhooks/acme", json={})

    assert answer.status_code == 404


# --------------------------------------------------------------------------- limits, health


def test_a_body_over_the_limit_is_refused_with_413(database_url):
    registry = make_registry(RIVERHOST_HTTP__MAX_BODY="2048")
    with Served(registry, database_url) as served:
        url = served.url + "/api/v1/admin/jobs"
        big = {"kind": "k", "args": {"blob": "x" * 4000}}
        whole = httpx.post(url, json=big)
        chunked = httpx.post(
            url, content=iter([json.dumps(big).encode()[i : i + 500] for i in range(0, 4100, 500)])
        )

    assert whole.status_code == 413
    assert chunked.status_code == 413
    assert "http.max_body" in whole.json()["detail"]


def test_readyz_names_what_fails_and_healthz_and_metrics_answer(empty_database_url):
    registry = make_registry()
    with Served(registry, empty_database_url) as served:
        unready = httpx.get(served.url + "/readyz")
        migrate(empty_database_url)
        ready = httpx.get(served.url + "/readyz")
        metrics = httpx.get(served.url + "/metrics")

    assert unready.status_code == 503
    assert "riverhost migrate" in unready.json()["failing"]["schema"]
    assert ready.status_code == 200
    assert "riverhost_jobs_finished_total" in metrics.text or "python_info" in metrics.text


def test_dashboard_pages_render_with_their_empty_states(served):
    pages = {path: httpx.get(served.url + path) for path in ("/", "/jobs", "/hosts", "/plugins")}
    missing = httpx.get(served.url + "/jobs/424242")

    assert {path: page.status_code for path, page in pages.items()} == dict.fromkeys(pages, 200)
    assert "No queue has any job yet" in pages["/"].text
    assert "No host is running" in pages["/hosts"].text
    assert "hook_event" in pages["/plugins"].text
    assert missing.status_code == 404


@pytest.mark.parametrize("processes", ["1", "2"])
def test_the_http_server_starts_with_riverhost_run_once_and_stops_with_it(database_url, processes):
    env = command_environment(
        RIVERHOST_DATABASE_URL=database_url,
        RIVERHOST_HTTP__LISTEN="127.0.0.1:0",
        RIVERHOST_LOGGING__FORMAT="json",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "riverhost", "run", "--processes", processes],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        urls, running = [], 0
        deadline = time.monotonic() + 60
        assert process.stderr is not None
        while running < int(processes) and time.monotonic() < deadline:
            line = process.stderr.readline()
            if '"http.serving"' in line:
                urls.append(json.loads(line)["url"])
            running += '"host.running"' in line
        # Once per host: the engine processes of --processes 2 serve no HTTP of their own.
        assert len(urls) == 1
        assert httpx.get(urls[0] + "/healthz").json() == {"status": "ok"}
    finally:
        process.terminate()
        code = process.wait(30)
        assert process.stderr is not None
        process.stderr.close()
    assert code == 0
