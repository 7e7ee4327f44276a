"""What a running host holds for this plugin (``ctx.resources``): the settings, the insert
client, one httpx client for the HTTP agents, and every cleanup target, checked against the
catalog at start.

Also the little state the hooks without a ``settings`` argument need: the plugin manager
(to call other plugins' ``riverhost_cleanup_targets``) and, while a host runs, its event loop
and client (for ``riverhost_event``, which runs in a thread of its own). One host per process
is the deployment (``--processes`` starts processes); tests run one host at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pluggy

from riverhost import AsyncClient
from riverhost_maintenance import __version__
from riverhost_maintenance.settings import Settings
from riverhost_maintenance.targets import (
    CheckedTarget,
    CleanupTarget,
    TargetError,
    check_target,
    parse_target,
)

USER_AGENT = f"riverhost-maintenance/{__version__}"
SETTINGS_KEY = "plugins.maintenance"

OWN_TARGETS = (
    CleanupTarget(
        name="notification_deliveries",
        table="maintenance.notification_delivery",
        column="updated_at",
        older_than=timedelta(days=30),
    ),
)
ACTIVITY = CleanupTarget(
    name="activity", table="riverhost_activity", column="at", older_than=timedelta(days=90)
)


@dataclass
class Resources:
    """``ctx.resources`` of the maintenance plugin's workers."""

    settings: Settings
    client: AsyncClient
    http: httpx.AsyncClient
    targets: dict[str, CheckedTarget]
    activity: CheckedTarget


@dataclass
class _Running:
    loop: asyncio.AbstractEventLoop
    client: AsyncClient
    settings: Settings


class _State:
    manager: pluggy.PluginManager | None = None
    running: _Running | None = None


state = _State()


def declared_targets(settings: Settings) -> list[tuple[CleanupTarget, str, str]]:
    """Every declared target with who declared it and its settings key (or ``""``)."""
    problems: list[str] = []
    found: list[tuple[CleanupTarget, str, str]] = [
        (t, "plugin maintenance", "") for t in OWN_TARGETS
    ]
    caller = (
        None
        if state.manager is None
        else getattr(state.manager.hook, "riverhost_cleanup_targets", None)
    )
    for impl in [] if caller is None else caller.get_hookimpls():
        source = f"plugin {impl.plugin_name}"
        try:
            declared = impl.function()
        except Exception as exc:  # noqa: BLE001  # another plugin's bug: refuse the start, naming it
            problems.append(
                f"{source}: riverhost_cleanup_targets raised {type(exc).__name__}: {exc}"
            )
            continue
        for raw in declared or ():
            try:
                found.append((parse_target(raw, source), source, ""))
            except TargetError as exc:
                problems.extend(exc.problems)
    for name, setting in settings.cleanup.targets.items():
        key = f"{SETTINGS_KEY}.cleanup.targets.{name}."
        target = CleanupTarget(name=name, **setting.model_dump())
        found.append((target, key.rstrip("."), key))
    by_name: dict[str, list[str]] = {}
    for target, source, _ in found:
        by_name.setdefault(target.name, []).append(source)
    for name, sources in by_name.items():
        if len(sources) > 1:
            problems.append(f"cleanup target {name!r} is declared by {' and '.join(sources)}")
    if problems:
        raise TargetError(problems)
    return found


async def check_all(
    client: AsyncClient, settings: Settings
) -> tuple[dict[str, CheckedTarget], CheckedTarget]:
    """Resolve every target in the catalog, all problems reported at once."""
    problems: list[str] = []
    checked: dict[str, CheckedTarget] = {}
    declared = declared_targets(settings)
    async with client.pool.connection() as conn:
        for target, source, key in declared:
            try:
                checked[target.name] = await check_target(conn, target, source, key)
            except TargetError as exc:
                problems.extend(exc.problems)
        activity = await check_target(conn, ACTIVITY, "riverhost")
    if problems:
        raise TargetError(problems)
    return checked, activity


@contextlib.asynccontextmanager
async def open_resources(settings: Settings, client: AsyncClient) -> AsyncIterator[Resources]:
    targets, activity = await check_all(client, settings)
    async with httpx.AsyncClient(headers={"User-Agent": USER_AGENT}) as http:
        state.running = _Running(asyncio.get_running_loop(), client, settings)
        try:
            yield Resources(settings, client, http, targets, activity)
        finally:
            state.running = None


def insert_from_thread(args: Any, timeout: float = 10.0) -> None:
    """Insert ``args`` on the running host's client from another thread (the event hook's)."""
    running = state.running
    if running is None:
        return
    future = asyncio.run_coroutine_threadsafe(running.client.insert(args), running.loop)
    future.result(timeout)
