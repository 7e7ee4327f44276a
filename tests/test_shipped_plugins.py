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


def test_plugins_new_writes_every_template_from_the_installed_wheel(tmp_path):
    # The templates are package data: a wheel that left them out would write nothing here.
    result = subprocess.run(
        [sys.executable, "-m", "riverhost", "plugins", "new", "wheeled", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=command_environment(),
        check=False,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    written = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    assert {
        "pyproject.toml",
        "README.md",
        "src/riverhost_wheeled/plugin.py",
        "src/riverhost_wheeled/jobs.py",
        "src/riverhost_wheeled/migrations/001_create_items.sql",
        "tests/conftest.py",
        "tests/test_jobs.py",
    } <= written
