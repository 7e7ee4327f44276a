"""schemathesis against the admin API's own OpenAPI document: generated requests to every
route find no server error and no answer that breaks the declared schema.

Run through schemathesis's own command (bounded examples), against a server on loopback and a
fresh database: its pytest integration does not take this suite's parametrized server
fixture."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import engine_plugin
import webhook_plugin

from riverhost.config import load_config
from riverhost.http.testing import Served
from riverhost.registry import registry_from_objects

CHECKS = ",".join(
    [
        "not_a_server_error",
        "response_schema_conformance",
        "status_code_conformance",
        "content_type_conformance",
    ]
)


def test_no_route_answers_a_server_error_or_breaks_its_schema(database_url, tmp_path):
    registry = registry_from_objects(
        ("engine", engine_plugin), ("webhooks", webhook_plugin), config=load_config(environ={})
    )
    command = Path(sys.executable).with_name("schemathesis")
    with Served(registry, database_url) as served:
        done = subprocess.run(
            [
                str(command),
                "run",
                served.url + "/openapi.json",
                "--checks",
                CHECKS,
                "--max-examples",
                "10",
                "--phases",
                "coverage,fuzzing",
                # A stream never ends: its route is exercised in test_http.py instead.
                "--exclude-path",
                "/api/v1/admin/events",
                "-H",
                f"X-Webhook-Secret: {webhook_plugin.SECRET}",
                "--workers",
                "2",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
            env={**os.environ, "NO_COLOR": "1"},
        )

    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
