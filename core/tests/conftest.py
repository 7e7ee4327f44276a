from __future__ import annotations

import contextlib
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest_plugins = ["riverhost.testing"]

DISTRIBUTIONS = Path(__file__).parent / "distributions"


@pytest.fixture(scope="session")
def plugin_sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each throwaway plugin distribution under distributions/, built and installed alone.

    Built with hatchling's PEP 517 hook and unpacked, which is what installing a wheel does,
    into one folder per distribution, so a test can put any combination on sys.path.
    """
    import hatchling.build

    wheels = tmp_path_factory.mktemp("wheels")
    sites: dict[str, Path] = {}
    for project in sorted(DISTRIBUTIONS.iterdir()):
        with contextlib.chdir(project):
            wheel = wheels / hatchling.build.build_wheel(str(wheels))
        site = tmp_path_factory.mktemp(project.name)
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(site)
        sites[project.name] = site
    return sites


@pytest.fixture
def install(
    plugin_sites: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., list[Path]]]:
    """``install("rh-test-alpha", ...)`` makes those distributions installed for this test."""
    before = set(sys.modules)

    def install(*dists: str) -> list[Path]:
        paths = [plugin_sites[dist] for dist in ("rh-test-support", *dists)]
        for path in paths:
            monkeypatch.syspath_prepend(str(path))
        return paths

    yield install
    for name in set(sys.modules) - before:
        if name.startswith("rh_test_") and name != "rh_test_support":
            del sys.modules[name]


@pytest.fixture
def plugin_env(plugin_sites: dict[str, Path]) -> Callable[..., dict[str, str]]:
    """``plugin_env("rh-test-alpha", KEY="v")``: a subprocess environment with those installed."""

    from riverhost.testing import command_environment

    def env(*dists: str, **extra: str) -> dict[str, str]:
        paths = [plugin_sites[dist] for dist in ("rh-test-support", *dists)]
        return command_environment(*paths, **extra)

    return env


@pytest.fixture
def riverhost(plugin_env, tmp_path):
    """Run ``riverhost ARGS`` with the named throwaway distributions installed."""

    def run(*args: str, dists: tuple[str, ...] = (), env: dict[str, str] | None = None):
        log = str(tmp_path / "imported.log")
        clean = plugin_env(*dists, RIVERHOST_TEST_IMPORT_LOG=log, **(env or {}))
        return subprocess.run(
            [sys.executable, "-m", "riverhost", *args],
            capture_output=True,
            text=True,
            env=clean,
            cwd=tmp_path,
            check=False,
            timeout=60,
        )

    return run
