"""``riverhost plugins new``: the plugin it writes installs, loads clean and passes its own
tests untouched; a name or folder it cannot use is refused with nothing written."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import zipfile

import pytest

from riverhost.testing import command_environment


def riverhost(*args: str, cwd, paths=(), **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "riverhost", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=command_environment(*paths, **extra),
        check=False,
        timeout=120,
    )


def install_wheel(project, site) -> None:
    """Build ``project``'s wheel with hatchling and unpack it into ``site``: what installing
    it does, without touching the test environment."""
    import hatchling.build

    with contextlib.chdir(project):
        wheel = project / "dist" / hatchling.build.build_wheel(str(project / "dist"))
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)


def test_a_new_plugin_installs_loads_clean_and_passes_its_own_tests(tmp_path):
    site = tmp_path / "site"

    made = riverhost("plugins", "new", "scaffolded", "--dir", "plugin", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "pip install -e './plugin[test]'" in made.stdout

    project = tmp_path / "plugin"
    install_wheel(project, site)
    assert (site / "riverhost_scaffolded" / "migrations" / "001_create_items.sql").is_file()

    check = riverhost("plugins", "check", cwd=tmp_path, paths=[site])
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith("ok: 1 plugin(s), 1 kind(s)")

    listing = riverhost("plugins", "list", "--json", cwd=tmp_path, paths=[site])
    assert listing.returncode == 0, listing.stderr
    [plugin] = json.loads(listing.stdout)["plugins"]
    assert (plugin["name"], plugin["dist"], plugin["status"]) == (
        "scaffolded",
        "riverhost-scaffolded",
        "enabled",
    )
    assert plugin["kinds"] == ["scaffolded_fetch"]

    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--basetemp", str(tmp_path / "basetemp"), str(project / "tests")],
        capture_output=True,
        text=True,
        cwd=project,
        env=command_environment(site),
        check=False,
        timeout=300,
    )  # fmt: skip
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert tests.stdout.splitlines()[-1].startswith("3 passed")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Films", "'Films' is not a plugin name"),
        ("my-plugin", "e.g. 'my_plugin'"),
        ("2fast", "starting with a letter"),
        ("class", "'class' is not a plugin name"),
    ],
)
def test_a_name_that_is_not_a_lowercase_identifier_is_refused(tmp_path, name, reason):
    result = riverhost("plugins", "new", name, cwd=tmp_path)

    assert result.returncode == 2
    assert reason in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_name_of_an_installed_plugin_is_refused(tmp_path, plugin_sites):
    paths = [plugin_sites["rh-test-support"], plugin_sites["rh-test-alpha"]]

    result = riverhost("plugins", "new", "alpha", cwd=tmp_path, paths=paths)

    assert result.returncode == 2
    assert "a plugin named 'alpha' is already installed (rh-test-alpha 1.0.0)" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_is_not_empty_is_refused_and_left_as_it_was(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")

    result = riverhost("plugins", "new", "fresh", "--dir", "taken", cwd=tmp_path)

    assert result.returncode == 2
    assert "taken exists and is not empty" in result.stderr
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_an_empty_folder_is_used(tmp_path):
    (tmp_path / "empty").mkdir()

    result = riverhost("plugins", "new", "fresh", "--dir", "empty", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "empty" / "src" / "riverhost_fresh" / "plugin.py").is_file()
