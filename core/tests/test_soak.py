"""The soak of ``benchmarks/soak.py`` for one minute: what CI runs of the issue's load test.

Two hosts of two processes on the embedded server, jobs that fail and time out at random, one
host SIGKILLed after 30 s and restarted; the audit must find every job once, none running.

The soak lives in ``benchmarks/`` at the repository root, which is not a package installed in
the test venv and not on ``sys.path`` here (pytest puts ``core/tests`` there, not the root), so
it runs as ``python -m benchmarks.soak`` from the root, as a developer would run it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# One run is enough: the soak is about the hosts, not about which server they share.
pytestmark = pytest.mark.parametrize("riverhost_server", ["embedded"], indirect=True)


def test_a_one_minute_soak_loses_nothing_and_leaves_nothing_running(database_url, tmp_path):
    out = tmp_path / "soak.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RIVERHOST_", "RIVER_"))}
    argv = [sys.executable, "-m", "benchmarks.soak", "--minutes", "1", "--kill-every", "30"]
    argv += ["--rate", "800", "--drain-timeout", "60", "--database-url", database_url]
    done = subprocess.run(
        [*argv, "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    summary = f"{done.stdout}\n{done.stderr[-5000:]}"
    assert out.exists(), summary
    result = json.loads(out.read_text())
    audit = result["audit"]
    assert audit["checks"] == dict.fromkeys(audit["checks"], True), summary
    assert audit["inserted"] == audit["rows"] > 30_000, summary
    assert audit["states"].get("running", 0) == 0
    assert audit["missing"] == audit["unexpected"] == []
    assert len(result["kills"]) == 1
    assert audit["failures_injected"] > 0
    assert audit["timeouts"] > 0
    assert done.returncode == 0, summary
