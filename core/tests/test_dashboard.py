"""The dashboard driven in a real headless Chromium (Debian's, through Playwright): log in,
pause and resume a queue, watch a running job's progress bar move, cancel it. A screenshot of
each page is taken too: into $RIVERHOST_SCREENSHOTS when set (``RIVERHOST_SCREENSHOTS=docs/
screenshots`` refreshes the README's), else into the test's temporary folder."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import engine_plugin
import httpx
import pytest
import webhook_plugin

from riverhost.config import load_config
from riverhost.http.testing import Served
from riverhost.registry import registry_from_objects

CHROMIUM = os.environ.get("RIVERHOST_CHROMIUM", "/usr/bin/chromium")
TOKEN = "dashboard-t0ken"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"no Chromium at {CHROMIUM}: .ci/run installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def test_an_operator_pauses_a_queue_watches_a_job_and_cancels_it(browser, database_url, tmp_path):
    shots = Path(os.environ.get("RIVERHOST_SCREENSHOTS") or tmp_path)
    environ = {
        "RIVERHOST_JOBS__POLL_INTERVAL": "200ms",
        "RIVERHOST_JOBS__SHUTDOWN_TIMEOUT": "1s",
        "RIVERHOST_HTTP__TOKENS__OPS": TOKEN,
    }
    registry = registry_from_objects(
        ("engine", engine_plugin), ("webhooks", webhook_plugin), config=load_config(environ=environ)
    )
    with Served(registry, database_url, host=True) as served:
        api = httpx.Client(
            base_url=served.url + "/api/v1/admin", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        for steps in (["ok"], ["fail", "ok"], ["output"]):
            api.post("/jobs", json={"kind": "steps_async", "args": {"steps": steps}})
        api.post(
            "/jobs",
            json={
                "kind": "steps_async",
                "args": {"steps": ["ok"]},
                "queue": "low",
                "delay_seconds": 600,
            },
        )
        long_job = api.post(
            "/jobs",
            json={"kind": "steps_long", "args": {"steps": ["progress_slow"], "seconds": 12}},
        ).json()["job"]["id"]

        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.on("dialog", lambda dialog: dialog.accept())

        # Log in: the first page sends a visitor without a token to the login form.
        page.goto(served.url + "/")
        assert page.url.startswith(served.url + "/login")
        page.fill("input[name=token]", TOKEN)
        page.click("form.login button")
        page.wait_for_selector("table#queues")

        # Pause the default queue, then resume it.
        row = page.locator("tr[data-queue=default]")
        row.get_by_role("button", name="Pause").click()
        page.wait_for_selector("tr[data-queue=default] .state.paused")
        assert api.get("/queues").json()[0]["paused"] in (True, False)
        assert {q["name"]: q["paused"] for q in api.get("/queues").json()}["default"] is True
        page.screenshot(path=str(shots / "queues.png"), full_page=True)
        page.locator("tr[data-queue=default]").get_by_role("button", name="Resume").click()
        page.wait_for_selector("tr[data-queue=default] .state.active")
        assert {q["name"]: q["paused"] for q in api.get("/queues").json()}["default"] is False

        # The running job: its bar moves as the worker reports, fed by the event stream.
        deadline = time.monotonic() + 20
        while api.get(f"/jobs/{long_job}").json()["state"] != "running":
            assert time.monotonic() < deadline, "the long job never started"
            time.sleep(0.1)
        page.goto(f"{served.url}/jobs/{long_job}")
        first = page.wait_for_function(
            "parseFloat(document.getElementById('progress-bar').style.width) > 0",
            timeout=20_000,
        )
        assert first
        start = float(page.eval_on_selector("#progress-bar", "e => parseFloat(e.style.width)"))
        page.wait_for_function(
            f"parseFloat(document.getElementById('progress-bar').style.width) > {start}",
            timeout=20_000,
        )
        assert "file" in page.inner_text("#progress-text")
        page.screenshot(path=str(shots / "job.png"), full_page=True)

        # Cancel it: the worker is told to stop, the page shows it cancelled.
        page.get_by_role("button", name="Cancel").click()
        page.wait_for_function(
            "document.getElementById('job-state').textContent === 'cancelled'", timeout=20_000
        )
        assert api.get(f"/jobs/{long_job}").json()["state"] == "cancelled"

        for name, path in (("jobs", "/jobs"), ("hosts", "/hosts"), ("plugins", "/plugins")):
            page.goto(served.url + path)
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        assert page.locator("table.grid").count() == 2  # plugins and kinds
        page.close()
        api.close()
