"""Finding, selecting and loading plugins.

Plugins are entry points in the ``riverhost.plugins`` group; the entry name is the plugin's
name everywhere. Loading goes: read the installed entry points (with their distributions) →
refuse names that two distributions claim → decide which plugins are enabled (config, env and
CLI, all resolved by :mod:`riverhost.config`) and block the rest before they are imported →
import each enabled one alone, catching its failure → register it with pluggy → check every
hook implementation against a spec. Nothing here raises for a bad plugin: each problem is
recorded on the plugin and in :attr:`LoadedPlugins.problems`, so ``riverhost plugins list``
can show a broken plugin and :mod:`riverhost.registry` can report all problems at once.
"""

from __future__ import annotations

import enum
import importlib.metadata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pluggy

from riverhost import hookspecs
from riverhost.config import RiverhostConfig
from riverhost.errors import (
    DuplicatePluginNameError,
    InvalidDeclarationError,
    PluginImportError,
    PluginRef,
    RegistryProblem,
    UnknownPluginNameError,
)
from riverhost.logging import get_logger

__all__ = [
    "ENTRY_POINT_GROUP",
    "FakeEntryPoint",
    "LoadedPlugins",
    "PluginInfo",
    "PluginStatus",
    "installed_plugins",
    "load_plugins",
    "register_objects",
]

ENTRY_POINT_GROUP = "riverhost.plugins"
log = get_logger("riverhost.plugins")


class PluginStatus(enum.StrEnum):
    """Where a plugin stands after loading."""

    ENABLED = "enabled"
    DISABLED = "disabled"
    BROKEN = "broken"


@dataclass
class PluginInfo:
    """One installed plugin: what it is, whether it loaded, and why not."""

    name: str
    dist: str
    version: str
    target: str
    status: PluginStatus = PluginStatus.ENABLED
    reason: str = ""
    plugin: object | None = None

    @property
    def ref(self) -> PluginRef:
        """The plugin as error messages name it."""
        return PluginRef(self.name, self.dist, self.version)


@dataclass
class LoadedPlugins:
    """The outcome of loading: the pluggy manager, every plugin seen, every problem found."""

    manager: pluggy.PluginManager
    plugins: list[PluginInfo]
    problems: list[RegistryProblem] = field(default_factory=list)

    def enabled(self) -> list[PluginInfo]:
        """The plugins that loaded and are registered."""
        return [info for info in self.plugins if info.status is PluginStatus.ENABLED]

    def by_name(self, name: str) -> PluginInfo:
        """The plugin registered under ``name``."""
        for info in self.plugins:
            if info.name == name:
                return info
        raise KeyError(name)

    def hooks_of(self, info: PluginInfo) -> list[str]:
        """The names of the hooks ``info`` implements (none unless it is registered)."""
        if info.plugin is None or not self.manager.is_registered(info.plugin):
            return []
        return sorted(caller.name for caller in self.manager.get_hookcallers(info.plugin) or [])

    def broken(self, info: PluginInfo, problem: RegistryProblem) -> None:
        """Mark ``info`` as broken by ``problem`` and unregister it if it was registered."""
        info.status = PluginStatus.BROKEN
        info.reason = str(problem).splitlines()[0]
        self.problems.append(problem)
        if info.plugin is not None and self.manager.is_registered(info.plugin):
            self.manager.unregister(info.plugin)


@dataclass(frozen=True)
class FakeEntryPoint:
    """An entry point for tests: a name, a distribution, and the object ``load()`` returns.

    ``load`` may instead be an exception, which ``load()`` raises (a plugin that fails to
    import).
    """

    name: str
    obj: object
    dist: str = "fake-plugin"
    version: str = "0.0.0"
    value: str = "fake:plugin"

    def load(self) -> object:
        if isinstance(self.obj, BaseException):
            raise self.obj
        return self.obj


@dataclass(frozen=True)
class _Candidate:
    name: str
    dist: str
    version: str
    target: str
    entry_point: importlib.metadata.EntryPoint | FakeEntryPoint


def _installed_entry_points() -> list[importlib.metadata.EntryPoint | FakeEntryPoint]:
    # One place to read the installed entry points, so tests can replace it.
    return list(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))


def _candidates() -> list[_Candidate]:
    seen: dict[tuple[str, str], _Candidate] = {}
    for ep in _installed_entry_points():
        if isinstance(ep, FakeEntryPoint):
            dist, version = ep.dist, ep.version
        else:
            dist = ep.dist.name if ep.dist is not None else "(unknown distribution)"
            version = ep.dist.version if ep.dist is not None else "?"
        # The same distribution seen twice on sys.path (an editable and a regular install)
        # is one plugin; only different distributions clash.
        key = (ep.name, _normalize(dist))
        seen.setdefault(key, _Candidate(ep.name, dist, version, ep.value, ep))
    return sorted(seen.values(), key=lambda c: (c.name, _normalize(c.dist)))


def _normalize(dist: str) -> str:
    return dist.lower().replace("_", "-").replace(".", "-")


def installed_plugins() -> list[tuple[str, str, str]]:
    """Every installed plugin as ``(name, distribution, version)``, without importing any."""
    return [(c.name, c.dist, c.version) for c in _candidates()]


def new_manager() -> pluggy.PluginManager:
    """A plugin manager that knows riverhost's hookspecs and nothing else."""
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    manager.hook.riverhost_add_hookspecs.call_historic(kwargs={"pluginmanager": manager})
    return manager


def load_plugins(config: RiverhostConfig) -> LoadedPlugins:
    """Load the installed plugins that ``config`` enables; never raises for a bad plugin."""
    manager = new_manager()
    loaded = LoadedPlugins(manager, [])
    by_name: dict[str, list[_Candidate]] = defaultdict(list)
    for candidate in _candidates():
        by_name[candidate.name].append(candidate)

    _check_selection(config, sorted(by_name), loaded)
    enabled, disabled = config.plugins.enabled, set(config.plugins.disabled)
    for name, claims in sorted(by_name.items()):
        first = claims[0]
        info = PluginInfo(name, first.dist, first.version, first.target)
        loaded.plugins.append(info)
        if len(claims) > 1:
            info.dist = ", ".join(c.dist for c in claims)
            info.version = ", ".join(c.version for c in claims)
            problem = DuplicatePluginNameError(name, [(c.dist, c.version) for c in claims])
            manager.set_blocked(name)
            loaded.broken(info, problem)
            continue
        if name in disabled or (enabled is not None and name not in enabled):
            manager.set_blocked(name)
            info.status = PluginStatus.DISABLED
            key = "plugins.disabled" if name in disabled else "plugins.enabled"
            info.reason = f"disabled by {key} ({config.source_of(key)})"
            log.debug("plugin.blocked", plugin=name, reason=info.reason)
            continue
        try:
            info.plugin = first.entry_point.load()
        except Exception as exc:  # noqa: BLE001 - any failure is recorded as the plugin's problem
            loaded.broken(info, PluginImportError(info.ref, first.target, _host_version(), exc))
            log.error("plugin.load_failed", plugin=name, dist=info.dist, error=str(exc))
            continue
        _register(loaded, info)
    _check_unmatched_hooks(loaded)
    return loaded


def register_objects(objects: Iterable[tuple[str, object]]) -> LoadedPlugins:
    """Register plugin objects directly, with no entry points (tests, embedding).

    Each pair is ``(plugin name, module or object)``; the distribution is reported as the
    object's module.
    """
    loaded = LoadedPlugins(new_manager(), [])
    for name, obj in objects:
        module = getattr(obj, "__name__", type(obj).__module__)
        info = PluginInfo(name, str(module), "(not installed)", str(module), plugin=obj)
        loaded.plugins.append(info)
        _register(loaded, info)
    _check_unmatched_hooks(loaded)
    return loaded


def _register(loaded: LoadedPlugins, info: PluginInfo) -> None:
    try:
        loaded.manager.register(info.plugin, name=info.name)
    except Exception as exc:  # noqa: BLE001 - pluggy's validation errors, or a historic hook's
        problem = InvalidDeclarationError(info.ref, "registration", f"{type(exc).__name__}: {exc}")
        problem.__cause__ = exc
        loaded.broken(info, problem)
        return
    log.debug("plugin.loaded", plugin=info.name, dist=info.dist, version=info.version)


def _check_unmatched_hooks(loaded: LoadedPlugins) -> None:
    """Like pluggy's ``check_pending``, but finds every unmatched hook, not the first."""
    manager = loaded.manager
    unmatched: dict[str, list[str]] = defaultdict(list)
    for hook_name in sorted(vars(manager.hook)):
        caller = getattr(manager.hook, hook_name)
        if not isinstance(caller, pluggy.HookCaller) or caller.spec is not None:
            continue
        for impl in caller.get_hookimpls():
            if not impl.optionalhook:
                unmatched[impl.plugin_name].append(hook_name)
    for info in loaded.enabled():
        if hooks := unmatched.get(info.name):
            reason = (
                f"{', '.join(hooks)} match no hookspec: misspelled, or a hook of a plugin that "
                "is not enabled (implement those with @hookimpl(optionalhook=True))"
            )
            loaded.broken(info, InvalidDeclarationError(info.ref, "hooks", reason))


def _check_selection(
    config: RiverhostConfig, installed: Sequence[str], loaded: LoadedPlugins
) -> None:
    lists = {
        "plugins.enabled": config.plugins.enabled or [],
        "plugins.disabled": config.plugins.disabled,
    }
    for key, names in lists.items():
        for name in names:
            if name not in installed:
                where = f"{key} ({config.source_of(key)})"
                loaded.problems.append(UnknownPluginNameError(name, where, installed))


def _host_version() -> str:
    from riverhost._version import __version__

    return __version__
