"""Radarr's webhook bodies (media-apis.md §1.4) replayed through the host's real HTTP server,
worked by a real host against the Radarr on loopback and the real PostgreSQL."""

from __future__ import annotations

import copy

import httpx
import pytest
from fake_radarr import WEBHOOKS
from helpers import PLUGINS, SECRET, migrated, settings

from riverhost.registry import registry_from_objects
from riverhost_media.arrtesting import Served, post_without_secret, rows, trigger_sync

HEADERS = {"X-Webhook-Secret": SECRET}


@pytest.fixture
def served(database_url, radarr):
    migrated(database_url, radarr)
    registry = registry_from_objects(*PLUGINS, settings=settings(radarr))
    with Served(registry, database_url, host=True) as running:
        yield running


def post(served, body, headers=HEADERS):
    return httpx.post(served.url + "/api/v1/webhooks/radarr", json=body, headers=headers)


def finished(served, ids):
    return served.finished(ids)


def test_every_event_type_is_taken_and_worked(served, database_url):
    answers, jobs = served.replay("/api/v1/webhooks/radarr", WEBHOOKS, HEADERS)

    assert {event: a.status_code for event, a in answers.items()} == dict.fromkeys(WEBHOOKS, 202)
    assert answers["Test"].json() == {"job_id": None, "duplicate": False}
    assert {event: str(job.state) for event, job in jobs.items()} == dict.fromkeys(
        set(WEBHOOKS) - {"Test"}, "completed"
    ), {event: job.errors for event, job in jobs.items()}
    # The job keeps the body as sent, fields not modelled included.
    assert jobs["Grab"].args["payload"] == WEBHOOKS["Grab"]
    out = {event: job.output for event, job in jobs.items()}
    assert out["Grab"]["release"] == "The.Matrix.1999.1080p.BluRay.x264-GROUP"
    assert out["Health"]["level"] == out["HealthRestored"]["level"] == "warning"
    assert out["ApplicationUpdate"]["new_version"] == "6.0.4.10291"
    assert out["ManualInteractionRequired"]["download_status"] == "Warning"
    for event in ("Download", "Rename", "MovieFileDelete", "MovieDelete"):
        assert out[event]["radarr_movie_id"] == 1
        assert out[event]["sync"]["operation"] == "single", event
    # MovieAdded names Dune (Radarr id 2): synced into the movie tables.
    assert out["MovieAdded"]["sync"]["title"] == "Dune Part Two"
    assert rows(database_url, "SELECT radarr_id FROM movie.movies ORDER BY radarr_id") == [
        {"radarr_id": 1},
        {"radarr_id": 2},
    ]


def test_an_event_for_a_movie_radarr_no_longer_has_is_cancelled_with_the_reason(
    served, database_url, radarr
):
    download = copy.deepcopy(WEBHOOKS["Download"])
    download["movie"]["id"] = 404
    deleted = copy.deepcopy(WEBHOOKS["MovieDelete"])
    radarr.movies.pop(1)

    gone, removed = (post(served, body).json()["job_id"] for body in (download, deleted))
    jobs = finished(served, [gone, removed])

    assert str(jobs[0].state) == "cancelled"
    assert (
        jobs[0]
        .errors[0]
        .error.startswith(
            "Radarr no longer has movie 404 (The Matrix); the Download event was not applied"
        )
    )
    assert str(jobs[1].state) == "completed"
    assert (jobs[1].output["unlinked"], jobs[1].output["files_deleted"]) == (False, True)


def test_deleted_files_may_be_a_boolean_or_a_list_on_either_event(served):
    download = {**WEBHOOKS["Download"], "deletedFiles": True}
    deleted = {**WEBHOOKS["MovieDelete"], "deletedFiles": WEBHOOKS["Download"]["deletedFiles"]}

    assert post(served, download).status_code == 202
    assert post(served, deleted).status_code == 202


def test_a_wrong_or_missing_secret_and_a_malformed_body_are_refused(served):
    without_movie = {k: v for k, v in WEBHOOKS["Download"].items() if k != "movie"}
    no_id = copy.deepcopy(WEBHOOKS["Rename"])
    del no_id["movie"]["id"]

    none = post(served, WEBHOOKS["Grab"], headers={})
    wrong = post(served, WEBHOOKS["Grab"], headers={"X-Webhook-Secret": "guess"})
    missing = post(served, without_movie)
    missing_id = post(served, no_id)
    not_json = httpx.post(served.url + "/api/v1/webhooks/radarr", content=b"{nope", headers=HEADERS)
    unknown = post(served, {"eventType": "SomethingNew", "whatever": [1]})

    assert none.status_code == 401
    assert wrong.status_code == 403
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "Download", "movie"]
    assert missing_id.json()["detail"][0]["loc"] == ["body", "Rename", "movie", "id"]
    assert not_json.status_code == 422
    assert unknown.status_code == 202
    assert finished(served, [unknown.json()["job_id"]])[0].output == {"event": "SomethingNew"}


def test_without_a_webhook_secret_there_is_no_route(database_url, radarr):
    answer = post_without_secret(
        PLUGINS, settings(radarr), database_url, "radarr", WEBHOOKS["Grab"]
    )

    assert answer.status_code == 404


def test_the_admin_trigger_inserts_a_full_sync_once(database_url, radarr):
    migrated(database_url, radarr)

    without, first, again = trigger_sync(PLUGINS, database_url, "radarr")

    assert without.status_code == 401
    assert first.status_code == again.status_code == 202
    assert again.json() == {"job_id": first.json()["job_id"], "duplicate": True}
    jobs = rows(database_url, "SELECT kind, args, queue FROM river_job")
    args = {"operation": "full", "radarr_movie_id": 0}
    assert jobs == [{"kind": "radarr_sync", "args": args, "queue": "high"}]
