"""The hook surface itself: every hookspec is documented, typed, prefixed and exercised."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from riverhost import hookspecs

SPECS = sorted(
    name
    for name, value in vars(hookspecs).items()
    if callable(value) and hasattr(value, f"{hookspecs.PROJECT}_spec")
)
TESTS = Path(__file__).parent
DISTRIBUTIONS = TESTS / "distributions"


def test_there_are_hookspecs_to_check():
    assert SPECS == [
        "riverhost_add_hookspecs",
        "riverhost_admin_routes",
        "riverhost_event",
        "riverhost_job_kinds",
        "riverhost_migrations",
        "riverhost_periodic_jobs",
        "riverhost_queues",
        "riverhost_resources",
        "riverhost_settings_model",
        "riverhost_webhook_routes",
    ]


@pytest.mark.parametrize("name", SPECS)
def test_hookspec_is_documented_with_its_parameters_and_version(name):
    spec = getattr(hookspecs, name)
    doc = inspect.getdoc(spec) or ""

    assert name.startswith("riverhost_")
    assert doc.splitlines()[0].endswith("."), "a one-line summary first"
    assert ".. versionadded::" in doc
    for param in inspect.signature(spec).parameters:
        assert f":param {param}:" in doc or param in doc.splitlines()[0], param
    assert inspect.signature(spec).return_annotation != inspect.Signature.empty


@pytest.mark.parametrize("name", SPECS)
def test_hookspec_is_implemented_by_a_throwaway_plugin(name):
    implementations = [
        path
        for path in DISTRIBUTIONS.glob("*/src/*/plugin.py")
        if re.search(rf"^def {name}\(", path.read_text(), re.MULTILINE)
    ]

    assert implementations, f"no plugin under {DISTRIBUTIONS} implements {name}"


@pytest.mark.parametrize("name", SPECS)
def test_hookspec_is_listed_in_the_readme(name):
    readme = (TESTS.parent.parent / "README.md").read_text()

    assert f"`{name}(" in readme
