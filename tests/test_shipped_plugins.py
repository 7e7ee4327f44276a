"""Every plugin in plugins/ installs from its wheel and loads beside all the others."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from riverhost.testing import command_environment

ROOT = Path(__file__).parent.parent


def shipped() -> list[str]:
    return sorted(p.parent.name for p in ROOT.glob("plugins/*/pyproject.toml"))


def riverhost(*args: str) -> subprocess.CompletedProcess[str]:
    env = command_environment()
    return subprocess.run(
        [sys.executable, "-m", "riverhost", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_every_shipped_plugin_is_installed_and_enabled():
    result = riverhost("plugins", "list", "--json")

    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    enabled = sorted(p["name"] for p in listed["plugins"] if p["status"] == "enabled")
    assert enabled == shipped()
    assert listed["problems"] == []


def test_shipped_plugins_register_together_without_clashes():
    result = riverhost("plugins", "check", "--json")

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert sorted(report["plugins"]) == shipped()
