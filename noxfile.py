"""Every developer task: ``nox -s tests lint typecheck`` (CI), ``nox -s host`` (run a host).

Plugins are found, not listed: every ``plugins/<name>/pyproject.toml``; so are the plain
libraries plugins share, every ``libs/<name>/pyproject.toml`` (no entry point). Each library is
tested alone, each plugin in an environment of its own with only ``core`` and the libraries
beside it, then everything is installed together from built wheels (as pip would install it)
for the cross-package tests in ``tests/``.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PLUGINS = sorted(p.parent.name for p in ROOT.glob("plugins/*/pyproject.toml"))
LIBS = sorted(p.parent.name for p in ROOT.glob("libs/*/pyproject.toml"))
#: Every library, editable, with its test extra (the fakes plugins' tests use).
LIBS_EDITABLE = [arg for name in LIBS for arg in ("-e", f"libs/{name}[test]")]
CORE_TEST = "core[test]"


def sibling_plugins(name: str) -> list[str]:
    """The plugins ``plugins/<name>`` depends on (its ``riverhost-<plugin>`` dependencies that
    live beside it), as editable install arguments: a sibling is not on PyPI."""
    project = tomllib.loads((ROOT / "plugins" / name / "pyproject.toml").read_text())["project"]
    found = (re.match(r"riverhost-([a-z0-9_-]+)", dep) for dep in project["dependencies"])
    return [
        arg
        for match in found
        if match and match.group(1) in PLUGINS and match.group(1) != name
        for arg in ("-e", f"plugins/{match.group(1)}")
    ]


nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
@nox.parametrize("target", ["core", *(f"lib-{name}" for name in LIBS), *PLUGINS, "together"])
def tests(session: nox.Session, target: str) -> None:
    """Run one target's tests: core alone, a library alone, one plugin beside core (and the
    libraries), or all together."""
    if target == "core":
        session.install("-e", CORE_TEST)
        session.run("pytest", "core/tests", *session.posargs)
    elif target.startswith("lib-"):
        name = target.removeprefix("lib-")
        session.install("-e", CORE_TEST, "-e", f"libs/{name}[test]")
        session.run("pytest", f"libs/{name}/tests", *session.posargs)
    elif target == "together":
        # Wheels, not editable installs: a missing entry point or package file shows here.
        session.install(
            f"./{CORE_TEST}",
            *(f"./libs/{name}" for name in LIBS),
            *(f"./plugins/{name}[test]" for name in PLUGINS),
        )
        session.run("riverhost", "plugins", "check")
        session.run("pytest", "tests", *session.posargs)
    else:
        plugin = ("-e", f"plugins/{target}[test]")
        session.install("-e", CORE_TEST, *LIBS_EDITABLE, *sibling_plugins(target), *plugin)
        session.run("riverhost", "plugins", "check")
        session.run("pytest", f"plugins/{target}/tests", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint rules and formatting) and import-linter (imports run one way: pyproject)."""
    session.install("ruff>=0.8", "import-linter>=2.1")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    # The sources are read, not imported: no need to install riverhost here.
    session.run("lint-imports", env={"PYTHONPATH": "core/src"})


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on core (and on every library's and plugin's sources)."""
    session.install(
        "mypy>=1.13",
        "types-PyYAML",
        "types-croniter",
        "-e",
        CORE_TEST,
        *LIBS_EDITABLE,
        *(f"-e./plugins/{name}" for name in PLUGINS),
    )
    session.run(
        "mypy",
        "--strict",
        "core/src",
        *(f"libs/{name}/src" for name in LIBS),
        *(f"plugins/{name}/src" for name in PLUGINS),
    )


@nox.session
def host(session: nox.Session) -> None:
    """Run a host with every plugin on the embedded PostgreSQL: ``nox -s host [-- ARGS]``."""
    session.install(
        "-e",
        "core[embedded,http]",
        *(f"-e./libs/{name}" for name in LIBS),
        *(f"-e./plugins/{name}" for name in PLUGINS),
    )
    listen = session.env.get("RIVERHOST_HTTP__LISTEN") or "127.0.0.1:8080"
    if not session.posargs:
        session.log(f"dashboard and admin API: http://{listen}/ (API docs at /api/docs)")
    session.run("riverhost", *(session.posargs or ["run"]), env={"RIVERHOST_HTTP__LISTEN": listen})


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmark riverhost against its peers in one sitting: ``nox -s bench [-- --quick]``.

    riverhost and matplotlib go in this venv; each peer gets a venv of its own (see
    ``benchmarks/venvs.py``). Uses ``RIVERHOST_DATABASE_URL`` or the embedded PostgreSQL.
    """
    session.install("-e", "core[embedded]", "matplotlib")
    session.run("python", "-m", "benchmarks.bench", *session.posargs)


@nox.session
def soak(session: nox.Session) -> None:
    """The bounded soak of the fleet: ``nox -s soak [-- --minutes 3 --hosts 2 --processes 2]``.

    core[test] brings hatchling, which builds the soak's plugin. Uses ``RIVERHOST_DATABASE_URL``
    or the embedded PostgreSQL; writes ``benchmarks/results/soak-latest.json``.
    """
    session.install("-e", CORE_TEST)
    session.run("python", "-m", "benchmarks.soak", *session.posargs)
