"""The host's configuration: one YAML file plus environment variables, validated by pydantic.

Layers, lowest first: built-in defaults, the YAML file, the seeds' ``RIVER_*`` variables, the
``RIVERHOST_*`` variables. Every leaf remembers where it came from (``riverhost.yaml:12``,
``env RIVER_WORKERS``) so ``riverhost config show`` can say it and every error can name it.
Validation reports all bad values at once (:class:`~riverhost.errors.ConfigError`), each with
its key path, the value given and its source. Plugins' own sections (``plugins.<name>``) are
kept as given here and validated against each plugin's model by the registry.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from riverhost.durations import Duration
from riverhost.errors import ConfigError, ConfigFileError, ConfigProblem
from riverhost.jobs import QUEUE_PATTERN

__all__ = [
    "DatabaseConfig",
    "JobsConfig",
    "LoggingConfig",
    "PluginsConfig",
    "QueueConfig",
    "RiverhostConfig",
    "load_config",
    "problems_from_validation",
]

DEFAULT_CONFIG_FILE = "riverhost.yaml"
ENV_CONFIG_FILE = "RIVERHOST_CONFIG"
#: ``RIVERHOST_<SECTION>__<KEY>[__<KEY>…]`` sets any key; ``__`` separates the levels.
ENV_PREFIX = "RIVERHOST_"
#: Environment names with a meaning of their own (the seeds' names and the documented ones).
ENV_NAMES: dict[str, tuple[str, ...]] = {
    "RIVER_WORKERS": ("jobs", "max_workers"),
    "RIVER_MAX_ATTEMPTS": ("jobs", "max_attempts"),
    "RIVER_POLL_INTERVAL": ("jobs", "poll_interval"),
    "RIVER_SHUTDOWN_TIMEOUT": ("jobs", "shutdown_timeout"),
    "RIVERHOST_DATABASE_URL": ("database", "url"),
    "RIVERHOST_LOAD_PLUGINS": ("plugins", "enabled"),
    "RIVERHOST_DISABLED_PLUGINS": ("plugins", "disabled"),
}
_LIST_KEYS = {("plugins", "enabled"), ("plugins", "disabled")}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QueueConfig(_Section):
    """One queue: how many of its jobs a host runs at once (``None`` = ``jobs.max_workers``)."""

    max_workers: int | None = Field(default=None, ge=1, le=10_000)


def _default_queues() -> dict[str, QueueConfig]:
    # The seeds' five queues and their worker counts.
    counts = {"critical": 20, "high": 15, "default": 10, "low": 5, "bulk": 3}
    return {name: QueueConfig(max_workers=count) for name, count in counts.items()}


class JobsConfig(_Section):
    """The ``jobs`` section: the seeds' keys and defaults."""

    max_workers: int = Field(default=10, ge=1, le=10_000)
    max_attempts: int = Field(default=25, ge=1, le=32_767)
    fetch_cooldown: Duration = timedelta(milliseconds=100)
    poll_interval: Duration = timedelta(seconds=1)
    shutdown_timeout: Duration = timedelta(seconds=30)
    queues: dict[str, QueueConfig] = Field(default_factory=_default_queues)

    def queue_workers(self) -> dict[str, int]:
        """Each configured queue with its effective worker count."""
        return {name: q.max_workers or self.max_workers for name, q in self.queues.items()}

    @field_validator("queues")
    @classmethod
    def _queue_names_follow_river(cls, queues: dict[str, QueueConfig]) -> dict[str, QueueConfig]:
        for name in queues:
            if len(name) > 64 or not re.fullmatch(QUEUE_PATTERN, name):
                raise ValueError(
                    f"queue name {name!r} must be lower-case letters and digits joined by "
                    "single '_', '-' or '|', at most 64 characters (River's rule)"
                )
        return queues

    @field_validator("fetch_cooldown", "poll_interval")
    @classmethod
    def _at_least_a_millisecond(cls, value: timedelta) -> timedelta:
        if value < timedelta(milliseconds=1):
            raise ValueError(f"must be at least 1ms, got {value}")
        return value

    @field_validator("shutdown_timeout")
    @classmethod
    def _not_negative(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError(f"must not be negative, got {value}")
        return value


class DatabaseConfig(_Section):
    """Where the jobs live: ``url`` if set, else an embedded server in ``data_dir``."""

    url: str | None = None
    data_dir: Path | None = None


class PluginsConfig(BaseModel):
    """Which plugins load, plus one section per plugin (``plugins.movie: {...}``).

    ``enabled`` unset loads every installed plugin; an empty list loads none.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    enabled: list[str] | None = None
    disabled: list[str] = Field(default_factory=list)

    def sections(self) -> dict[str, object]:
        """The per-plugin sections, by plugin name."""
        return dict(self.model_extra or {})


class LoggingConfig(_Section):
    """How the host logs: ``auto`` is readable on a terminal and JSON otherwise."""

    format: Literal["auto", "console", "json"] = "auto"
    level: Literal["debug", "info", "warning", "error"] = "info"


class RiverhostConfig(_Section):
    """The whole configuration. Build it with :func:`load_config`."""

    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    jobs: JobsConfig = Field(default_factory=JobsConfig)
    plugins: PluginsConfig = Field(default_factory=PluginsConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)

    _sources: dict[str, str] = PrivateAttr(default_factory=dict)

    def source_of(self, path: str) -> str:
        """Where the value at dotted ``path`` came from, or ``default``.

        A path inside a value that came whole from one place (a list, a section) reports that
        place.
        """
        return _source_for(path, self._sources)

    def effective(self) -> Iterator[tuple[str, object, str]]:
        """Every leaf as ``(dotted path, value, source)``, for ``riverhost config show``."""
        yield from _leaves(self.model_dump(mode="json"), (), self)


def _leaves(value: object, path: tuple[str, ...], config: RiverhostConfig) -> Iterator[tuple[str, object, str]]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaves(item, (*path, str(key)), config)
    else:
        dotted = ".".join(path)
        yield dotted, value, config.source_of(dotted)


# --------------------------------------------------------------------------- loading


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[tuple[str, ...], tuple[object, str]] | None = None,
) -> RiverhostConfig:
    """Read the config file (``path``, ``$RIVERHOST_CONFIG`` or ``./riverhost.yaml``) and the env.

    ``overrides`` maps key paths to ``(value, source)`` and wins over everything (the CLI's
    flags). Raises :class:`ConfigFileError` for an unreadable file and :class:`ConfigError`
    listing every bad value.
    """
    env = os.environ if environ is None else environ
    # Start from the defaults so a layer that sets one queue keeps the other four.
    data: dict[str, object] = RiverhostConfig().model_dump()
    sources: dict[str, str] = {}

    file = _config_file(path, env)
    if file is not None:
        for key_path, value, source in _read_yaml(file):
            _put(data, sources, key_path, value, source)
    for key_path, value, source in _read_env(env):
        _put(data, sources, key_path, value, source)
    for key_path, (value, source) in (overrides or {}).items():
        _put(data, sources, key_path, value, source)

    try:
        config = RiverhostConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(problems_from_validation(exc, (), sources)) from None
    config._sources = sources
    return config


def _config_file(path: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path | None:
    if path is not None:
        return Path(path)
    if env.get(ENV_CONFIG_FILE):
        return Path(env[ENV_CONFIG_FILE])
    default = Path(DEFAULT_CONFIG_FILE)
    return default if default.is_file() else None


def _read_yaml(file: Path) -> Iterator[tuple[tuple[str, ...], object, str]]:
    """Yield every leaf of the file with its key path and ``file:line``."""
    try:
        text = file.read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except OSError as exc:
        raise ConfigFileError(str(file), exc.strerror or str(exc)) from exc
    except yaml.YAMLError as exc:
        raise ConfigFileError(str(file), f"not valid YAML: {exc}") from exc
    if root is None:
        return
    if not isinstance(root, yaml.MappingNode):
        raise ConfigFileError(str(file), "the top level must be a mapping of sections")
    yield from _walk_yaml(root, (), file)


def _walk_yaml(node: yaml.Node, path: tuple[str, ...], file: Path) -> Iterator[tuple[tuple[str, ...], object, str]]:
    where = f"{file}:{node.start_mark.line + 1}"
    if isinstance(node, yaml.MappingNode) and node.value:
        for key_node, value_node in node.value:
            yield from _walk_yaml(value_node, (*path, str(key_node.value)), file)
        return
    loader = yaml.SafeLoader("")
    try:
        value = loader.construct_document(node)
    finally:
        loader.dispose()
    yield path, value, where


def _read_env(env: Mapping[str, str]) -> Iterator[tuple[tuple[str, ...], object, str]]:
    for name, key_path in ENV_NAMES.items():
        if name in env:
            yield key_path, _env_value(key_path, env[name]), f"env {name}"
    for name in sorted(env):
        if name.startswith(ENV_PREFIX) and "__" in name:
            key_path = tuple(part.lower() for part in name[len(ENV_PREFIX) :].split("__"))
            if all(key_path):
                yield key_path, _env_value(key_path, env[name]), f"env {name}"


def _env_value(key_path: tuple[str, ...], raw: str) -> object:
    if key_path in _LIST_KEYS:
        return [item.strip() for item in raw.split(",") if item.strip()]
    if raw.strip().startswith(("[", "{")):
        try:
            return yaml.safe_load(raw)
        except yaml.YAMLError:
            return raw  # validation reports it with the variable's name
    return raw


def _put(
    data: dict[str, object],
    sources: dict[str, str],
    key_path: tuple[str, ...],
    value: object,
    source: str,
) -> None:
    node = data
    for depth, key in enumerate(key_path[:-1]):
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
            # A scalar replaced by a section: the old value is gone, so is its source.
            sources.pop(".".join(key_path[: depth + 1]), None)
        node = child
    node[key_path[-1]] = value
    dotted = ".".join(key_path)
    for stale in [p for p in sources if p.startswith(dotted + ".")]:
        del sources[stale]
    sources[dotted] = source


def problems_from_validation(
    exc: ValidationError,
    prefix: tuple[str, ...],
    sources: Mapping[str, str],
) -> list[ConfigProblem]:
    """Turn a pydantic error into one :class:`ConfigProblem` per bad value, with paths."""
    problems = []
    for error in exc.errors(include_url=False):
        loc = tuple(str(part) for part in error["loc"])
        path = ".".join((*prefix, *loc)) or "(top level)"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        problems.append(ConfigProblem(path, error["input"], _source_for(path, sources), message))
    return problems


def _source_for(path: str, sources: Mapping[str, str]) -> str:
    parts = path.split(".")
    while parts:
        if (source := sources.get(".".join(parts))) is not None:
            return source
        parts.pop()
    return "default"
