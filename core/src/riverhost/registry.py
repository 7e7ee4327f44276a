"""The registry: every job kind, queue, settings model and migration of the enabled plugins.

It calls each plugin's hooks one plugin at a time, so everything is attributed to the plugin
that declared it, and builds into local dicts that are published only when no problem was
found: registration is all-or-nothing. Every problem (the loader's and its own) is collected
and raised as one :class:`~riverhost.errors.RegistryError`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Generic, TypeVar

import pluggy
from pydantic import BaseModel, ValidationError

from riverhost.config import RiverhostConfig, load_config, problems_from_validation
from riverhost.db.migrate import Migration, MigrationLine
from riverhost.errors import (
    ConfigProblem,
    DuplicateKindError,
    DuplicateKindInPluginError,
    DuplicateRouteError,
    InvalidDeclarationError,
    PluginRef,
    PluginSettingsError,
    RegistryError,
    RegistryProblem,
    UnknownPluginNameError,
    UnknownQueueError,
    validation_message,
)
from riverhost.kinds import JobKind, QueueSpec
from riverhost.logging import get_logger
from riverhost.periodic import PeriodicJob
from riverhost.plugins import LoadedPlugins, PluginInfo, load_plugins, register_objects
from riverhost.webhooks import AdminAction, WebhookRoute

__all__ = [
    "RegisteredAction",
    "RegisteredKind",
    "RegisteredPeriodic",
    "RegisteredQueue",
    "RegisteredRoute",
    "Registry",
    "RegistryDraft",
    "build_registry",
    "draft_registry",
    "load_registry",
    "registry_from_objects",
]

log = get_logger("riverhost.registry")
T = TypeVar("T")


@dataclass(frozen=True)
class RegisteredKind:
    """A job kind with the plugin that declared it and its effective max attempts."""

    spec: JobKind
    plugin: PluginRef
    max_attempts: int

    @property
    def kind(self) -> str:
        return self.spec.kind


@dataclass(frozen=True)
class RegisteredPeriodic:
    """A periodic job with the plugin that declared it."""

    spec: PeriodicJob
    plugin: PluginRef


@dataclass(frozen=True)
class RegisteredRoute:
    """A webhook route with the plugin that declared it."""

    spec: WebhookRoute
    plugin: PluginRef


@dataclass(frozen=True)
class RegisteredAction:
    """An admin action with the plugin that declared it."""

    spec: AdminAction
    plugin: PluginRef


@dataclass(frozen=True)
class RegisteredQueue:
    """A queue with its worker count and who asked for it (``config`` or plugin names)."""

    name: str
    max_workers: int
    declared_by: tuple[str, ...]


@dataclass(frozen=True)
class Registry:
    """Everything the host runs, as the enabled plugins declared it. Read-only."""

    config: RiverhostConfig
    loaded: LoadedPlugins
    kinds: Mapping[str, RegisteredKind]
    queues: Mapping[str, RegisteredQueue]
    settings: Mapping[str, BaseModel | None]
    migrations: Mapping[str, MigrationLine]
    periodic: Mapping[str, RegisteredPeriodic] = field(default_factory=dict)
    routes: Mapping[str, RegisteredRoute] = field(default_factory=dict)
    """Webhook routes by path (under ``/api/v1/webhooks/``)."""
    actions: Mapping[str, RegisteredAction] = field(default_factory=dict)
    """Admin actions by path (under ``/api/v1/admin/integrations/``)."""

    @property
    def hook(self) -> pluggy.HookRelay:
        """The plugins' hooks, including hooks that plugins added for each other."""
        return self.loaded.manager.hook

    @property
    def plugins(self) -> list[PluginInfo]:
        return self.loaded.plugins


@dataclass
class RegistryDraft:
    """The registry as declared, with every problem found; see :func:`draft_registry`."""

    config: RiverhostConfig
    loaded: LoadedPlugins
    problems: list[RegistryProblem] = field(default_factory=list)
    kinds: dict[str, list[RegisteredKind]] = field(default_factory=lambda: defaultdict(list))
    queues: dict[str, RegisteredQueue] = field(default_factory=dict)
    settings: dict[str, BaseModel | None] = field(default_factory=dict)
    migrations: dict[str, MigrationLine] = field(default_factory=dict)
    periodic: dict[str, list[RegisteredPeriodic]] = field(default_factory=lambda: defaultdict(list))
    routes: dict[str, list[RegisteredRoute]] = field(default_factory=lambda: defaultdict(list))
    actions: dict[str, list[RegisteredAction]] = field(default_factory=lambda: defaultdict(list))

    def kinds_of(self, plugin: str) -> list[str]:
        """The kinds ``plugin`` declared, clashing ones included."""
        return sorted(
            k for k, owners in self.kinds.items() if any(o.plugin.name == plugin for o in owners)
        )


def load_registry(config: RiverhostConfig | None = None) -> Registry:
    """Load the enabled installed plugins and build the registry; raise on any problem."""
    config = config if config is not None else load_config()
    return build_registry(load_plugins(config), config)


def registry_from_objects(
    *plugins: object | tuple[str, object],
    config: RiverhostConfig | None = None,
    settings: Mapping[str, Mapping[str, object]] | None = None,
) -> Registry:
    """Build a registry from plugin objects alone, with no entry points (for tests).

    Give a module (named by its last dotted part) or a ``(name, object)`` pair per plugin;
    ``settings`` gives plugins' config sections by plugin name (``{"foo": {"api_key": "k"}}``),
    validated as the ``plugins.<name>`` section of a config file would be.
    """
    pairs = [p if isinstance(p, tuple) else (_short_name(p), p) for p in plugins]
    if config is None:
        overrides: dict[tuple[str, ...], tuple[object, str]] = {
            ("plugins", name): (dict(section), "test settings")
            for name, section in (settings or {}).items()
        }
        config = load_config(environ={}, overrides=overrides)
    elif settings:
        raise ValueError("give either config or settings, not both")
    return build_registry(register_objects(pairs), config)


def _short_name(obj: object) -> str:
    name = getattr(obj, "__name__", None) or type(obj).__name__
    return str(name).rsplit(".", 1)[-1]


def draft_registry(loaded: LoadedPlugins, config: RiverhostConfig) -> RegistryDraft:
    """Call every enabled plugin's hooks and check the result, collecting every problem.

    ``loaded.problems`` (import failures, name clashes, unknown names) are included. Never
    raises for a bad plugin, so listings can show what is wrong.
    """
    build = RegistryDraft(config, loaded, problems=list(loaded.problems))
    build.queues = {
        name: RegisteredQueue(name, workers, ("config",))
        for name, workers in config.jobs.queue_workers().items()
    }
    _check_sections(build)
    for info in loaded.enabled():
        _collect_plugin(build, info)
    _check_kinds(build)
    _check_periodic(build)
    _check_routes(build)
    return build


def build_registry(loaded: LoadedPlugins, config: RiverhostConfig) -> Registry:
    """Build the registry, or raise :class:`RegistryError` listing every problem."""
    build = draft_registry(loaded, config)
    if build.problems:
        raise RegistryError(build.problems)
    registry = Registry(
        config=config,
        loaded=loaded,
        kinds=MappingProxyType({k: v[0] for k, v in sorted(build.kinds.items())}),
        queues=MappingProxyType(dict(sorted(build.queues.items()))),
        settings=MappingProxyType(build.settings),
        migrations=MappingProxyType(build.migrations),
        periodic=MappingProxyType({k: v[0] for k, v in sorted(build.periodic.items())}),
        routes=MappingProxyType({k: v[0] for k, v in sorted(build.routes.items())}),
        actions=MappingProxyType({k: v[0] for k, v in sorted(build.actions.items())}),
    )
    log.info(
        "registry.built",
        plugins=[info.name for info in loaded.enabled()],
        kinds=len(registry.kinds),
        queues=len(registry.queues),
    )
    return registry


def _check_sections(build: RegistryDraft) -> None:
    installed = [info.name for info in build.loaded.plugins]
    for name in build.config.plugins.sections():
        if name not in installed:
            where = (
                f"the config section plugins.{name} ({build.config.source_of(f'plugins.{name}')})"
            )
            build.problems.append(UnknownPluginNameError(name, where, installed))


def _collect_plugin(build: RegistryDraft, info: PluginInfo) -> None:
    """Call one plugin's hooks, adding what it declares or the problems it has."""
    model = _call(build, info, "riverhost_settings_model", {})
    settings = _settings(build, info, model)
    build.settings[info.name] = settings
    for declaration in _DECLARATIONS:
        items = _declared(build, info, declaration.hook, {"settings": settings}, declaration.item)
        declaration.add(build, info.ref, items)


def _add_queues(build: RegistryDraft, ref: PluginRef, queues: list[QueueSpec]) -> None:
    for queue in queues:
        current = build.queues.get(queue.name)
        if current is None:
            build.queues[queue.name] = RegisteredQueue(queue.name, queue.max_workers, (ref.name,))
        elif "config" not in current.declared_by:
            workers = max(current.max_workers, queue.max_workers)
            build.queues[queue.name] = RegisteredQueue(
                queue.name, workers, (*current.declared_by, ref.name)
            )


def _add_kinds(build: RegistryDraft, ref: PluginRef, kinds: list[JobKind]) -> None:
    for kind, count in Counter(k.kind for k in kinds).items():
        if count > 1:
            build.problems.append(DuplicateKindInPluginError(kind, ref, count))
    for spec in {k.kind: k for k in kinds}.values():
        attempts = spec.max_attempts or build.config.jobs.max_attempts
        build.kinds[spec.kind].append(RegisteredKind(spec, ref, attempts))


def _add_periodic(build: RegistryDraft, ref: PluginRef, periodic: list[PeriodicJob]) -> None:
    for job in periodic:
        build.periodic[job.id].append(RegisteredPeriodic(job, ref))


def _add_migrations(build: RegistryDraft, ref: PluginRef, migrations: list[Migration]) -> None:
    if migrations:
        try:
            build.migrations[ref.name] = MigrationLine(ref.name, tuple(migrations))
        except ValueError as exc:
            build.problems.append(InvalidDeclarationError(ref, "riverhost_migrations", str(exc)))


def _add_routes(build: RegistryDraft, ref: PluginRef, routes: list[WebhookRoute]) -> None:
    for route in routes:
        build.routes[route.path].append(RegisteredRoute(route, ref))


def _add_actions(build: RegistryDraft, ref: PluginRef, actions: list[AdminAction]) -> None:
    for action in actions:
        build.actions[action.path].append(RegisteredAction(action, ref))


@dataclass(frozen=True)
class _Declaration(Generic[T]):
    """A hook whose result is a list of ``item``, and how the registry takes it in."""

    hook: str
    item: type[T]
    add: Callable[[RegistryDraft, PluginRef, list[T]], None]


_DECLARATIONS: tuple[_Declaration[Any], ...] = (
    _Declaration("riverhost_queues", QueueSpec, _add_queues),
    _Declaration("riverhost_job_kinds", JobKind, _add_kinds),
    _Declaration("riverhost_periodic_jobs", PeriodicJob, _add_periodic),
    _Declaration("riverhost_migrations", Migration, _add_migrations),
    _Declaration("riverhost_webhook_routes", WebhookRoute, _add_routes),
    _Declaration("riverhost_admin_routes", AdminAction, _add_actions),
)
"""The hooks that declare lists, in the order they are called: queues before the kinds that
name them. A new declaring hook is one line here and one ``_add_`` function."""


def _settings(build: RegistryDraft, info: PluginInfo, model: object) -> BaseModel | None:
    section = build.config.plugins.sections().get(info.name)
    key = f"plugins.{info.name}"
    if model is None:
        if section not in (None, {}):
            problem = ConfigProblem(
                key, section, build.config.source_of(key), "this plugin takes no settings"
            )
            build.problems.append(PluginSettingsError(info.ref, [problem]))
        return None
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        reason = f"must return a pydantic model class or None, got {model!r}"
        build.problems.append(InvalidDeclarationError(info.ref, "riverhost_settings_model", reason))
        return None
    if model.model_config.get("extra") != "allow":
        # An unknown key is a typo to report, never a value to drop; strict by default.
        config = {**model.model_config, "extra": "forbid"}
        namespace = {"model_config": config, "__module__": model.__module__}
        model = type(model.__name__, (model,), namespace)
    settings_model: type[BaseModel] = model
    try:
        return settings_model.model_validate(section or {})
    except ValidationError as exc:
        problems = problems_from_validation(exc, (key,), build.config.sources, settings_model)
        build.problems.append(PluginSettingsError(info.ref, problems))
        return None


def _declared(
    build: RegistryDraft,
    info: PluginInfo,
    hook_name: str,
    kwargs: Mapping[str, object],
    kind: type[T],
) -> list[T]:
    """Call ``hook_name`` of one plugin and check it returned a sequence of ``kind``."""
    result = _call(build, info, hook_name, kwargs)
    if result is None:
        return []
    if isinstance(result, str | bytes) or not isinstance(result, Sequence | set | frozenset):
        reason = f"must return a list of {kind.__name__}, got {type(result).__name__}"
        build.problems.append(InvalidDeclarationError(info.ref, hook_name, reason))
        return []
    good = [item for item in result if isinstance(item, kind)]
    for index, item in enumerate(result):
        if not isinstance(item, kind):
            reason = f"item {index} is {type(item).__name__} {item!r:.80}, not {kind.__name__}"
            build.problems.append(InvalidDeclarationError(info.ref, hook_name, reason))
    return good


def _call(
    build: RegistryDraft, info: PluginInfo, hook_name: str, kwargs: Mapping[str, object]
) -> object:
    """Call one plugin's implementation of ``hook_name``; ``None`` if it has none or it raised."""
    caller: pluggy.HookCaller = getattr(build.loaded.manager.hook, hook_name)
    impls = [impl for impl in caller.get_hookimpls() if impl.plugin_name == info.name]
    if not impls:
        return None
    function: Callable[..., object] = impls[0].function
    try:
        return function(**{name: kwargs[name] for name in impls[0].argnames})
    except ValidationError as exc:
        reason = validation_message(exc)
        problem = InvalidDeclarationError(info.ref, hook_name, f"invalid declaration: {reason}")
        problem.__cause__ = exc
    except Exception as exc:  # noqa: BLE001 - recorded as the plugin's problem, cause chained
        reason = f"raised {type(exc).__name__}: {exc}"
        problem = InvalidDeclarationError(info.ref, hook_name, reason)
        problem.__cause__ = exc
    build.problems.append(problem)
    return None


def _check_periodic(build: RegistryDraft) -> None:
    for job_id, owners in sorted(build.periodic.items()):
        if len(owners) > 1:
            listed = ", ".join(str(o.plugin) for o in owners)
            reason = f"periodic job id {job_id!r} is declared more than once ({listed})"
            build.problems.append(
                InvalidDeclarationError(owners[-1].plugin, "riverhost_periodic_jobs", reason)
            )
        for owner in owners:
            if owner.spec.kind not in build.kinds:
                reason = (
                    f"periodic job {job_id!r} inserts kind {owner.spec.kind!r}, which no enabled "
                    "plugin registers"
                )
                build.problems.append(
                    InvalidDeclarationError(owner.plugin, "riverhost_periodic_jobs", reason)
                )


def _check_routes(build: RegistryDraft) -> None:
    for path, owners in sorted(build.routes.items()):
        if len(owners) > 1:
            build.problems.append(DuplicateRouteError(path, [o.plugin for o in owners]))
    for path, claims in sorted(build.actions.items()):
        if len(claims) > 1:
            plugins = [c.plugin for c in claims]
            build.problems.append(DuplicateRouteError(path, plugins, "admin action path"))


def _check_kinds(build: RegistryDraft) -> None:
    known = sorted(build.queues)
    for kind, owners in sorted(build.kinds.items()):
        if len(owners) > 1:
            build.problems.append(DuplicateKindError(kind, [o.plugin for o in owners]))
        for owner in owners:
            if owner.spec.queue not in build.queues:
                problem = UnknownQueueError(kind, owner.spec.queue, owner.plugin, known)
                build.problems.append(problem)
