"""Every shipped plugin in one running host: their migrations apply side by side, the HTTP
server carries every plugin's routes, and a periodic job of one of them is worked."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx
from test_shipped_plugins import shipped

from riverhost.testing import command_environment


def test_a_host_with_every_plugin_migrates_serves_their_routes_and_works_jobs(database_url):
    env = command_environment(
        RIVERHOST_DATABASE_URL=database_url,
        RIVERHOST_HTTP__LISTEN="127.0.0.1:0",
        RIVERHOST_LOGGING__FORMAT="json",
        RIVERHOST_PLUGINS__RADARR__WEBHOOK_SECRET="radarr-secret",
        RIVERHOST_PLUGINS__SONARR__WEBHOOK_SECRET="sonarr-secret",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "riverhost", "run"], stderr=subprocess.PIPE, text=True, env=env
    )
    assert process.stderr is not None
    try:
        url, running = None, False
        deadline = time.monotonic() + 90
        while not (url and running) and time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            if '"http.serving"' in line:
                url = json.loads(line)["url"]
            running = running or '"host.running"' in line
        assert url is not None, "the host never served HTTP"
        assert running, "the host never ran"

        plugins = httpx.get(url + "/api/v1/admin/plugins").json()
        paths = httpx.get(url + "/openapi.json").json()["paths"]
        cleanup: list[dict[str, object]] = []
        while time.monotonic() < deadline and not cleanup:
            page = httpx.get(url + "/api/v1/admin/jobs", params={"kind": "cleanup"}).json()
            cleanup = [job for job in page["jobs"] if job["state"] == "completed"]
            time.sleep(0.2)
    finally:
        process.terminate()
        code = process.wait(60)
        process.stderr.close()

    assert sorted(p["name"] for p in plugins) == shipped()
    assert {
        "/api/v1/webhooks/radarr",
        "/api/v1/webhooks/sonarr",
        "/api/v1/admin/integrations/radarr/sync",
        "/api/v1/admin/integrations/sonarr/sync",
    } <= set(paths)
    assert cleanup, "the maintenance plugin's run-on-start cleanup was never completed"
    assert code == 0
