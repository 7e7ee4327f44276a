"""``riverhost plugins new``: write a new plugin distribution from the templates beside this
module.

The templates (``templates/**.tmpl``, shipped as package data) are a working plugin with one
job kind; this module checks the name and the folder, then renders them with
``{{placeholders}}`` replaced. It owns only the writing: the command line is in
:mod:`riverhost.cli.plugins_cmd`. Nothing is written unless every check passes.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path

from riverhost._version import __version__
from riverhost.plugins import installed_plugins

__all__ = ["NAME_PATTERN", "Scaffold", "ScaffoldError", "plan_scaffold", "write_scaffold"]

NAME_PATTERN = r"[a-z][a-z0-9_]{0,39}"
"""A plugin name: lowercase letters, digits and ``_``, starting with a letter; it names the
entry point, the package ``riverhost_<name>``, the config section and a PostgreSQL schema."""

_SUFFIX = ".tmpl"
_PACKAGE_DIR = "__package__"
_DOTFILE = "dot-"  # "dot-gitignore.tmpl" becomes ".gitignore" (hatch would skip a dotfile)


class ScaffoldError(ValueError):
    """A plugin cannot be written as asked; ``param`` is the argument at fault (``NAME`` or
    ``--dir``) and the message says why and what to do instead."""

    def __init__(self, param: str, message: str) -> None:
        self.param = param
        super().__init__(message)


@dataclass(frozen=True)
class Scaffold:
    """What ``plugins new`` will write: the plugin's names and every file with its text."""

    name: str
    dist: str
    package: str
    directory: Path
    files: dict[Path, str]


def _requirement() -> str:
    match = re.match(r"(\d+)\.(\d+)", __version__)
    return f"riverhost>={match.group(1)}.{match.group(2)}" if match else "riverhost"


def check_name(name: str) -> None:
    """Raise :class:`ScaffoldError` if ``name`` cannot name a new plugin here."""
    if not re.fullmatch(NAME_PATTERN, name) or keyword.iskeyword(name):
        raise ScaffoldError(
            "NAME",
            f"{name!r} is not a plugin name: use lowercase letters, digits and '_', starting "
            "with a letter, at most 40 characters (it names the Python package "
            f"riverhost_<name>, the config section plugins.<name> and a PostgreSQL schema), "
            f"e.g. {_suggest(name)!r}",
        )
    for plugin, dist, version in installed_plugins():
        if plugin == name:
            raise ScaffoldError(
                "NAME",
                f"a plugin named {name!r} is already installed ({dist} {version}); two plugins "
                "with one name refuse to load. Choose another name, or uninstall "
                f"{dist} first",
            )
    try:
        found = metadata.distribution(f"riverhost-{name}")
    except metadata.PackageNotFoundError:
        return
    raise ScaffoldError(
        "NAME",
        f"the distribution riverhost-{name} is already installed ({found.version}); choose "
        f"another name, or uninstall riverhost-{name} first",
    )


def _suggest(name: str) -> str:
    cleaned = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
    cleaned = re.sub(r"^[0-9_]+", "", cleaned)[:40]
    return cleaned or "my_plugin"


def _check_directory(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise ScaffoldError("--dir", f"{directory} exists and is not a folder; choose another")
    if directory.is_dir() and any(directory.iterdir()):
        raise ScaffoldError(
            "--dir",
            f"{directory} exists and is not empty; choose a new or empty folder with --dir "
            "(nothing is ever overwritten)",
        )


def _templates() -> Traversable:
    return resources.files(__package__ or __name__) / "templates"


def _walk(root: Traversable, parts: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    found: list[tuple[tuple[str, ...], str]] = []
    for entry in sorted(root.iterdir(), key=lambda item: item.name):
        if entry.is_dir():
            found += _walk(entry, (*parts, entry.name))
        elif entry.name.endswith(_SUFFIX):
            found.append(((*parts, entry.name), entry.read_text(encoding="utf-8")))
    return found


def plan_scaffold(name: str, directory: Path | None = None) -> Scaffold:
    """Check ``name`` and ``directory`` (default ``./riverhost-<name>``) and render every file;
    raise :class:`ScaffoldError` saying what is wrong. Writes nothing."""
    check_name(name)
    dist, package = f"riverhost-{name}", f"riverhost_{name}"
    directory = Path(directory) if directory is not None else Path(dist)
    _check_directory(directory)
    values = {
        "name": name,
        "NAME": name.upper(),
        "dist": dist,
        "package": package,
        "riverhost_requirement": _requirement(),
    }
    files: dict[Path, str] = {}
    for parts, text in _walk(_templates()):
        *folders, file_name = parts
        file_name = file_name.removesuffix(_SUFFIX)
        if file_name.startswith(_DOTFILE):
            file_name = "." + file_name.removeprefix(_DOTFILE)
        folders = [package if folder == _PACKAGE_DIR else folder for folder in folders]
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        files[Path(*folders, file_name)] = text
    return Scaffold(name, dist, package, directory, files)


def write_scaffold(scaffold: Scaffold) -> list[Path]:
    """Write the planned files under ``scaffold.directory``; return their paths."""
    written = []
    for relative, text in scaffold.files.items():
        path = scaffold.directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
