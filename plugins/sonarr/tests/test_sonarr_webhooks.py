"""Sonarr's webhook bodies (media-apis.md §2.1) replayed through the host's real HTTP server,
worked by a real host against the Sonarr on loopback and the real PostgreSQL."""

from __future__ import annotations

import copy

import httpx
import pytest
from fake_sonarr import WEBHOOKS
from sonarr_helpers import PLUGINS, SECRET, migrated, settings

from riverhost.registry import registry_from_objects
from riverhost_media.arrtesting import Served, post_without_secret, rows, trigger_sync

HEADERS = {"X-Webhook-Secret": SECRET}
URL = "/api/v1/webhooks/sonarr"


@pytest.fixture
def served(database_url, sonarr):
    migrated(database_url, sonarr)
    registry = registry_from_objects(*PLUGINS, settings=settings(sonarr))
    with Served(registry, database_url, host=True) as running:
        yield running


def post(served, body, headers=HEADERS):
    return httpx.post(served.url + URL, json=body, headers=headers)


def finished(served, ids):
    return served.finished(ids)


def test_every_event_type_is_taken_and_worked(served, database_url):
    answers, jobs = served.replay(URL, WEBHOOKS, HEADERS)

    assert {event: a.status_code for event, a in answers.items()} == dict.fromkeys(WEBHOOKS, 202)
    assert answers["Test"].json() == {"job_id": None, "duplicate": False}
    assert {event: str(job.state) for event, job in jobs.items()} == dict.fromkeys(
        set(WEBHOOKS) - {"Test"}, "completed"
    ), {event: job.errors for event, job in jobs.items()}
    # The job keeps the body as sent, fields not modelled included.
    assert jobs["Grab"].args["payload"] == WEBHOOKS["Grab"]
    out = {event: job.output for event, job in jobs.items()}
    assert out["Grab"]["release"] == "Breaking.Bad.S05E14.Ozymandias.720p.WEB-DL.DD5.1.H.264-BS"
    assert out["Health"]["level"] == out["HealthRestored"]["level"] == "error"
    assert out["ApplicationUpdate"]["new_version"] == "4.0.19.2985"
    assert out["ManualInteractionRequired"]["download_status"] == "Warning"
    for event in ("Download", "Rename", "EpisodeFileDelete"):
        assert out[event]["sonarr_series_id"] == 3
        assert out[event]["sync"]["operation"] == "single", event
    assert out["DownloadImportComplete"]["sync"]["title"] == "Severance"
    assert out["SeriesAdd"]["sync"]["title"] == out["SeriesDelete"]["sync"]["title"] == "The Bear"
    assert rows(database_url, "SELECT sonarr_id FROM tvshow.series ORDER BY sonarr_id") == [
        {"sonarr_id": 3},
        {"sonarr_id": 4},
        {"sonarr_id": 5},
    ]
    assert rows(database_url, "SELECT count(*) FROM tvshow.episode_files") == [{"count": 3}]


def test_an_event_for_a_series_sonarr_no_longer_has_is_cancelled_with_the_reason(
    served, database_url, sonarr
):
    assert finished(served, [post(served, WEBHOOKS["Download"]).json()["job_id"]])
    download = copy.deepcopy(WEBHOOKS["Download"])
    download["series"]["id"] = 404
    deleted = copy.deepcopy(WEBHOOKS["SeriesDelete"])
    deleted["series"]["id"] = 3
    deleted["deletedFiles"] = True
    sonarr.shows.pop(3)

    gone, removed = (post(served, body).json()["job_id"] for body in (download, deleted))
    jobs = finished(served, [gone, removed])

    assert str(jobs[0].state) == "cancelled"
    assert (
        jobs[0]
        .errors[0]
        .error.startswith(
            "Sonarr no longer has series 404 (Breaking Bad); the Download event was not applied"
        )
    )
    assert str(jobs[1].state) == "completed", jobs[1].errors
    assert (jobs[1].output["unlinked"], jobs[1].output["files_deleted"]) == (True, True)
    assert rows(database_url, "SELECT sonarr_id FROM tvshow.series") == [{"sonarr_id": None}]
    assert rows(
        database_url, "SELECT count(*) FROM tvshow.episode_files WHERE deleted_at IS NULL"
    ) == [{"count": 0}]


def test_deleted_files_may_be_a_boolean_or_a_list_on_either_event(served):
    files = [WEBHOOKS["Download"]["episodeFile"]]
    download = {**WEBHOOKS["Download"], "isUpgrade": True, "deletedFiles": files}
    download_bool = {**WEBHOOKS["Download"], "deletedFiles": True}
    deleted = {**WEBHOOKS["SeriesDelete"], "deletedFiles": files}

    assert [post(served, body).status_code for body in (download, download_bool, deleted)] == [
        202,
        202,
        202,
    ]


def test_a_wrong_or_missing_secret_and_a_malformed_body_are_refused(served):
    without_series = {k: v for k, v in WEBHOOKS["Download"].items() if k != "series"}
    no_id = copy.deepcopy(WEBHOOKS["Rename"])
    del no_id["series"]["id"]

    none = post(served, WEBHOOKS["Grab"], headers={})
    wrong = post(served, WEBHOOKS["Grab"], headers={"X-Webhook-Secret": "guess"})
    missing = post(served, without_series)
    missing_id = post(served, no_id)
    not_json = httpx.post(served.url + URL, content=b"{nope", headers=HEADERS)
    unknown = post(served, {"eventType": "SomethingNew", "whatever": [1]})

    assert none.status_code == 401
    assert wrong.status_code == 403
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "Download", "series"]
    assert missing_id.json()["detail"][0]["loc"] == ["body", "Rename", "series", "id"]
    assert not_json.status_code == 422
    assert unknown.status_code == 202
    assert finished(served, [unknown.json()["job_id"]])[0].output == {"event": "SomethingNew"}


def test_without_a_webhook_secret_there_is_no_route(database_url, sonarr):
    answer = post_without_secret(
        PLUGINS, settings(sonarr), database_url, "sonarr", WEBHOOKS["Grab"]
    )

    assert answer.status_code == 404


def test_the_admin_trigger_inserts_a_full_sync_once(database_url, sonarr):
    migrated(database_url, sonarr)

    without, first, again = trigger_sync(PLUGINS, database_url, "sonarr")

    assert without.status_code == 401
    assert first.status_code == again.status_code == 202
    assert again.json() == {"job_id": first.json()["job_id"], "duplicate": True}
    jobs = rows(database_url, "SELECT kind, args, queue FROM river_job")
    args = {"operation": "full", "sonarr_series_id": 0}
    assert jobs == [{"kind": "sonarr_sync", "args": args, "queue": "high"}]
