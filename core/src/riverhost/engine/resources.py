"""Plugin resources as a host service: every plugin's ``riverhost_resources`` entered at start
and exited at stop, and the :class:`~riverhost.runtime.PluginRuntime` each plugin's workers see.

Entered in plugin order before the host's first fetch; a resource that fails to start stops
the start with a :class:`~riverhost.errors.PluginResourceError` naming the plugin (those
already entered are exited). Exited after the last attempt has ended, in reverse order; one
that fails to close is logged with its plugin named, and the others still close.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager, AbstractContextManager, AsyncExitStack
from types import MappingProxyType
from typing import Any

import pluggy

from riverhost.errors import PluginRef, PluginResourceError
from riverhost.logging import get_logger
from riverhost.registry import Registry
from riverhost.runtime import PluginRuntime, WorkerDatabase

__all__ = ["PluginResources"]

log = get_logger("riverhost.host")


class PluginResources:
    """The host service holding every enabled plugin's runtime and resources."""

    name = "plugin_resources"

    def __init__(self, registry: Registry, database: WorkerDatabase) -> None:
        self._registry = registry
        self.runtimes: Mapping[str, PluginRuntime] = MappingProxyType(
            {
                info.name: PluginRuntime(info.ref, registry.settings.get(info.name), database)
                for info in registry.loaded.enabled()
            }
        )
        """Each enabled plugin's runtime, by plugin name."""
        self._entered: list[tuple[PluginRef, AsyncExitStack]] = []

    def by_kind(self) -> dict[str, PluginRuntime]:
        """Each registered kind's plugin runtime."""
        return {
            kind: self.runtimes[registered.plugin.name]
            for kind, registered in self._registry.kinds.items()
        }

    async def start(self) -> None:
        caller: pluggy.HookCaller = self._registry.hook.riverhost_resources
        impls = {impl.plugin_name: impl for impl in caller.get_hookimpls()}
        for name, runtime in self.runtimes.items():
            impl = impls.get(name)
            if impl is None:
                continue
            stack = AsyncExitStack()
            try:
                kwargs = {"settings": runtime.settings, "client": runtime.database.client}
                manager = impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
                if manager is not None:
                    runtime.resources = await stack.enter_async_context(_as_async(manager))
            except Exception as exc:
                await self.stop()
                reason = f"{type(exc).__name__}: {exc}"
                raise PluginResourceError(runtime.plugin, reason) from exc
            self._entered.append((runtime.plugin, stack))
            log.debug("plugin.resources_entered", plugin=name)

    async def stop(self) -> None:
        while self._entered:
            plugin, stack = self._entered.pop()
            try:
                await stack.aclose()
            except Exception:
                log.exception("plugin.resources_close_failed", plugin=plugin.name)


def _as_async(manager: object) -> AbstractAsyncContextManager[Any]:
    if isinstance(manager, AbstractAsyncContextManager):
        return manager
    if isinstance(manager, AbstractContextManager):
        return _SyncAsAsync(manager)
    raise TypeError(
        f"riverhost_resources must return a context manager (async or not) or None, "
        f"got {type(manager).__name__}"
    )


class _SyncAsAsync(contextlib.AbstractAsyncContextManager[Any]):
    def __init__(self, manager: AbstractContextManager[Any]) -> None:
        self._manager = manager

    async def __aenter__(self) -> Any:
        return self._manager.__enter__()

    async def __aexit__(self, *exc: Any) -> bool | None:
        return self._manager.__exit__(*exc)
