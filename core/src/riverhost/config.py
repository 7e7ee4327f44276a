"""The host's configuration: one YAML file plus environment variables, validated by pydantic.

Layers, lowest first: built-in defaults, the YAML file, the seeds' ``RIVER_*`` variables, the
``RIVERHOST_*`` variables. Every leaf remembers where it came from (``riverhost.yaml:12``,
``env RIVER_WORKERS``) so ``riverhost config show`` can say it and every error can name it.
Validation reports all bad values at once (:class:`~riverhost.errors.ConfigError`), each with
its key path, the value given and its source. Plugins' own sections (``plugins.<name>``) are
kept as given here and validated against each plugin's model by the registry.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Literal, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
)

from riverhost.conninfo import check_conninfo, redact
from riverhost.durations import Duration, format_duration
from riverhost.errors import ConfigError, ConfigFileError, ConfigProblem
from riverhost.kinds import QUEUE_PATTERN

if TYPE_CHECKING:
    import yaml

__all__ = [
    "DatabaseConfig",
    "JobsConfig",
    "LoggingConfig",
    "MaintenanceConfig",
    "MetricsConfig",
    "PluginsConfig",
    "QueueConfig",
    "RetentionConfig",
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


def _not_a_boolean(value: object) -> object:
    # pydantic reads True as 1; `max_workers: yes` is a mistake, not one worker.
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number, got a boolean {value!r}")
    return value


def _check_queue_name(name: str) -> str:
    if len(name) > 64 or not re.fullmatch(QUEUE_PATTERN, name):
        raise ValueError(
            f"queue name {name!r} must be lower-case letters and digits joined by "
            "single '_', '-' or '|', at most 64 characters (River's rule)"
        )
    return name


_Workers = Annotated[int, BeforeValidator(_not_a_boolean), Field(ge=1, le=10_000)]
_Attempts = Annotated[int, BeforeValidator(_not_a_boolean), Field(ge=1, le=32_767)]
# Checked per key, so every bad name is reported with its own path.
_QueueName = Annotated[str, AfterValidator(_check_queue_name)]


class QueueConfig(_Section):
    """One queue: how many of its jobs a host runs at once (``None`` = ``jobs.max_workers``)."""

    max_workers: _Workers | None = None


def _default_queues() -> dict[str, QueueConfig]:
    # The seeds' five queues and their worker counts.
    counts = {"critical": 20, "high": 15, "default": 10, "low": 5, "bulk": 3}
    return {name: QueueConfig(max_workers=count) for name, count in counts.items()}


class JobsConfig(_Section):
    """The ``jobs`` section: the seeds' keys and defaults.

    ``max_workers`` is the worker count of a queue that sets none of its own; the five default
    queues set their own (the seeds' table).
    """

    max_workers: _Workers = 10
    max_attempts: _Attempts = 25
    fetch_cooldown: Duration = timedelta(milliseconds=100)
    poll_interval: Duration = timedelta(seconds=1)
    shutdown_timeout: Duration = timedelta(seconds=30)
    queues: dict[_QueueName, QueueConfig] = Field(default_factory=_default_queues)

    def queue_workers(self) -> dict[str, int]:
        """Each configured queue with its effective worker count."""
        return {name: q.max_workers or self.max_workers for name, q in self.queues.items()}

    @field_validator("queues", mode="before")
    @classmethod
    def _empty_queue_takes_defaults(cls, queues: object) -> object:
        # `queues: {media: }` declares the queue with jobs.max_workers workers.
        if isinstance(queues, dict):
            return {name: {} if queue is None else queue for name, queue in queues.items()}
        return queues

    @field_validator("fetch_cooldown", "poll_interval")
    @classmethod
    def _at_least_a_millisecond(cls, value: timedelta) -> timedelta:
        if value < timedelta(milliseconds=1):
            raise ValueError(f"must be at least 1ms, got {format_duration(value)}")
        return value

    @field_validator("shutdown_timeout")
    @classmethod
    def _not_negative(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError(f"must not be negative, got {format_duration(value)}")
        return value


def _check_url(url: str | None) -> str | None:
    return None if url is None else check_conninfo(url)


class DatabaseConfig(_Section):
    """Where the jobs live: ``url`` if set, else an embedded server in ``data_dir``.

    ``worker_connections`` caps the connections workers hold at once (``ctx.transaction()``,
    ``ctx.client``), per host process and flavour (async, sync): a pool apart from the engine's
    own, so busy workers never starve fetches and completions.
    """

    url: Annotated[str | None, AfterValidator(_check_url)] = None
    data_dir: Path | None = None
    worker_connections: Annotated[int, BeforeValidator(_not_a_boolean), Field(ge=1, le=1000)] = 10


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


def _positive(value: timedelta | None) -> timedelta | None:
    if value is not None and value <= timedelta(0):
        raise ValueError(f"must be positive, got {format_duration(value)}")
    return value


_Positive = Annotated[Duration, AfterValidator(_positive)]
#: A retention: how long finalized jobs are kept; ``null`` keeps them forever.
_Retention = Annotated[Duration | None, AfterValidator(_positive)]


class RetentionConfig(_Section):
    """How long the cleaner keeps finalized jobs, per final state (River's defaults)."""

    completed: _Retention = timedelta(hours=24)
    cancelled: _Retention = timedelta(hours=24)
    discarded: _Retention = timedelta(days=7)


class MaintenanceConfig(_Section):
    """The ``maintenance`` section: heartbeats, rescue and cleaning.

    A host whose heartbeat is older than ``host_lapse`` is gone and its running jobs are
    rescued; a job running longer than its kind's timeout plus ``rescue_margin`` is rescued on
    any host; a job of a kind no live host serves only after ``rescue_unknown_after``.
    """

    heartbeat_interval: _Positive = timedelta(seconds=2)
    host_lapse: _Positive = timedelta(seconds=10)
    rescue_interval: _Positive = timedelta(seconds=5)
    rescue_margin: _Positive = timedelta(minutes=1)
    rescue_unknown_after: _Positive = timedelta(hours=1)
    clean_interval: _Positive = timedelta(seconds=30)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)


class MetricsConfig(_Section):
    """Prometheus metrics: ``listen`` is ``host:port`` to serve ``/metrics`` on (off if unset).

    With ``run --processes N`` engine process ``i`` listens on ``port + i``.
    """

    listen: str | None = Field(default=None, pattern=r"^[^:]*:[0-9]{1,5}$")


DEFAULT_HTTP_LISTEN = "127.0.0.1:8080"


class HttpConfig(_Section):
    """The HTTP server (admin API, dashboard, plugin webhooks, health, metrics).

    ``riverhost run`` serves it when ``listen`` is set (once per host, whatever
    ``--processes``); ``riverhost serve`` serves it alone, on ``listen`` or
    :data:`DEFAULT_HTTP_LISTEN`. ``tokens`` are named bearer tokens (``{ops: "..."}``, or
    ``RIVERHOST_HTTP__TOKENS__OPS``); the name is who an action is recorded as. Without a
    token the server listens on loopback only.
    """

    listen: str | None = Field(default=None, pattern=r"^[^:]*:[0-9]{1,5}$")
    tokens: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_.@-]{1,64}$")], SecretStr] = Field(
        default_factory=dict
    )
    max_body: Annotated[int, Field(ge=1024, le=256 * 1024 * 1024)] = 1024 * 1024
    """Bytes a request body may have; a larger one is refused with 413."""


class RiverhostConfig(_Section):
    """The whole configuration. Build it with :func:`load_config`."""

    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    jobs: JobsConfig = Field(default_factory=JobsConfig)
    maintenance: MaintenanceConfig = Field(default_factory=MaintenanceConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    http: HttpConfig = Field(default_factory=HttpConfig)
    plugins: PluginsConfig = Field(default_factory=PluginsConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)

    _sources: dict[str, str] = PrivateAttr(default_factory=dict)

    @property
    def sources(self) -> Mapping[str, str]:
        """Each dotted key set by a file, a variable or a flag, with where it came from."""
        return MappingProxyType(self._sources)

    def source_of(self, path: str) -> str:
        """Where the value at dotted ``path`` came from, or ``default``.

        A path inside a value that came whole from one place (a list, a section) reports that
        place; a section set key by key reports the places of its keys.
        """
        return _source_for(path, self._sources)

    def effective(self) -> Iterator[tuple[str, object, str]]:
        """Every leaf as ``(dotted path, value, source)``, for ``riverhost config show``."""
        yield from _leaves(self.model_dump(mode="json"), (), self)


def _leaves(
    value: object, path: tuple[str, ...], config: RiverhostConfig
) -> Iterator[tuple[str, object, str]]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaves(item, (*path, str(key)), config)
    else:
        dotted = ".".join(path)
        yield dotted, value, config.source_of(dotted)


# --------------------------------------------------------------------------- loading

_Leaf = tuple[tuple[str, ...], object, str]
"""One value as read: key path, value, source (``riverhost.yaml:12``, ``env RIVER_WORKERS``)."""


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
    problems: list[ConfigProblem] = []

    leaves: list[_Leaf] = []
    file = _config_file(path, env)
    if file is not None:
        leaves += _read_yaml(file, problems)
    leaves += _read_env(env, problems)
    leaves += [(key_path, value, source) for key_path, (value, source) in (overrides or {}).items()]
    for key_path, value, source in leaves:
        _put(data, sources, key_path, value, source)

    try:
        config = RiverhostConfig.model_validate(data)
    except ValidationError as exc:
        problems += problems_from_validation(exc, (), sources, RiverhostConfig)
        raise ConfigError(problems) from None
    if problems:
        raise ConfigError(problems)
    config._sources = sources
    return config


def _config_file(path: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path | None:
    if path is not None:
        return Path(path)
    if env.get(ENV_CONFIG_FILE):
        return Path(env[ENV_CONFIG_FILE])
    default = Path(DEFAULT_CONFIG_FILE)
    return default if default.is_file() else None


def _read_yaml(file: Path, problems: list[ConfigProblem]) -> list[_Leaf]:
    """Every leaf of the file with its key path and ``file:line``; duplicate keys are problems."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigFileError(str(file), exc.strerror or str(exc)) from exc
    except UnicodeDecodeError as exc:
        raise ConfigFileError(str(file), f"not UTF-8 text (byte {exc.start})") from exc
    # PyYAML is imported only to read a file or a structured env value: 2 MB a host saves.
    import yaml

    leaves: list[_Leaf] = []
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if root is None:
            return leaves
        if not isinstance(root, yaml.MappingNode):
            raise ConfigFileError(str(file), "the top level must be a mapping of sections")
        _walk_yaml(root, (), file, leaves, problems)
    except yaml.YAMLError as exc:
        raise ConfigFileError(str(file), f"not valid YAML: {exc}") from exc
    return leaves


def _walk_yaml(
    node: yaml.MappingNode,
    path: tuple[str, ...],
    file: Path,
    leaves: list[_Leaf],
    problems: list[ConfigProblem],
) -> None:
    import yaml

    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if key_node.tag == "tag:yaml.org,2002:merge":
            raise ConfigFileError(str(file), f"line {line}: merge keys ('<<') are not supported")
        if not isinstance(key_node, yaml.ScalarNode):
            raise ConfigFileError(str(file), f"line {line}: a key must be a name, not a collection")
        key_path = (*path, str(key_node.value))
        where = f"{file}:{line}"
        if key_node.value in seen:
            message = f"duplicate key, also given at line {seen[key_node.value]}; keep one"
            problems.append(
                ConfigProblem(".".join(key_path), _construct(value_node), where, message)
            )
            continue
        seen[key_node.value] = line
        if isinstance(value_node, yaml.MappingNode) and value_node.value:
            _walk_yaml(value_node, key_path, file, leaves, problems)
        else:
            leaves.append((key_path, _construct(value_node), where))


def _construct(node: yaml.Node) -> object:
    import yaml

    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _read_env(env: Mapping[str, str], problems: list[ConfigProblem]) -> list[_Leaf]:
    leaves: list[_Leaf] = []
    for name, key_path in ENV_NAMES.items():
        if name in env:
            leaves += _flatten(key_path, _env_value(key_path, env[name]), f"env {name}")
    for name in sorted(env):
        if name.startswith(ENV_PREFIX) and "__" in name:
            key_path = tuple(part.lower() for part in name[len(ENV_PREFIX) :].split("__"))
            if not all(key_path):
                message = f"empty key in the name; write {ENV_PREFIX}SECTION__KEY[__KEY…]"
                problems.append(ConfigProblem(name, env[name], f"env {name}", message))
                continue
            leaves += _flatten(key_path, _env_value(key_path, env[name]), f"env {name}")
    return leaves


def _env_value(key_path: tuple[str, ...], raw: str) -> object:
    if raw.strip().startswith(("[", "{")):
        import yaml

        try:
            return yaml.safe_load(raw)
        except yaml.YAMLError:
            return raw  # validation reports it with the variable's name
    if key_path in _LIST_KEYS:
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw


def _flatten(key_path: tuple[str, ...], value: object, source: str) -> Iterator[_Leaf]:
    # A mapping given in one variable merges key by key, as the same mapping in the file does.
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _flatten((*key_path, str(key)), item, source)
    else:
        yield key_path, value, source


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
    if value is None and isinstance(node.get(key_path[-1]), dict):
        return  # `jobs:` with everything under it commented out sets nothing
    node[key_path[-1]] = value
    dotted = ".".join(key_path)
    for stale in [p for p in sources if p.startswith(dotted + ".")]:
        del sources[stale]
    sources[dotted] = source


class _NotSet:
    def __repr__(self) -> str:
        return "(not set)"


_NOT_SET = _NotSet()
"""The value of a :class:`ConfigProblem` for a required key that nothing set."""


def problems_from_validation(
    exc: ValidationError,
    prefix: tuple[str, ...],
    sources: Mapping[str, str],
    model: type[BaseModel] | None = None,
) -> list[ConfigProblem]:
    """Turn a pydantic error into one :class:`ConfigProblem` per bad value, with paths.

    With the validated ``model`` given, an unknown key's problem names the keys it may mean.
    """
    problems = []
    for error in exc.errors(include_url=False):
        loc = tuple(str(part) for part in error["loc"])
        if loc[-1:] == ("[key]",):  # the key itself is bad (a queue name); input is the key
            loc = loc[:-1]
        path = ".".join((*prefix, *loc)) or "(top level)"
        message, value, source = error["msg"], error["input"], _source_for(path, sources)
        if error["type"] == "missing":
            # pydantic's input is the enclosing section, and nothing set the key: say that.
            variable = "RIVERHOST_" + "__".join(part.upper() for part in path.split("."))
            value, source = _NOT_SET, "nowhere"
            message = f"required: set it in the config file or as {variable}"
        elif error["type"] == "extra_forbidden":
            message = "unknown key" + _known_keys_hint(model, loc)
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        # A value is shown in the error: a connection string's password never is.
        value = redact(value) if isinstance(value, str) else value
        problems.append(ConfigProblem(path, value, source, message))
    return problems


def _known_keys_hint(model: type[BaseModel] | None, loc: tuple[str, ...]) -> str:
    """``; did you mean 'x'?`` or ``; known keys here: …`` for an unknown key at ``loc``."""
    here: object = model
    for part in loc[:-1]:
        if isinstance(here, type) and issubclass(here, BaseModel) and part in here.model_fields:
            here = here.model_fields[part].annotation
        elif get_origin(here) is dict:
            here = get_args(here)[1]
        else:
            return ""
    if not (isinstance(here, type) and issubclass(here, BaseModel)):
        return ""
    known = list(here.model_fields)
    if close := difflib.get_close_matches(loc[-1], known, n=1):
        return f"; did you mean {close[0]!r}?"
    return f"; known keys here: {', '.join(known)}"


def _source_for(path: str, sources: Mapping[str, str]) -> str:
    parts = path.split(".")
    while parts:
        if (source := sources.get(".".join(parts))) is not None:
            return source
        parts.pop()
    # A section set key by key (an unknown section, a plugin's section): where its keys came
    # from, the first line of each file and every variable.
    places: dict[str, str] = {}
    for key, source in sources.items():
        if key.startswith(path + "."):
            places.setdefault(source.rsplit(":", 1)[0], source)
    return ", ".join(places.values()) or "default"
