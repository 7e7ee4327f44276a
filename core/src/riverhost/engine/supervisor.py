"""The supervisor: ``riverhost run --processes N`` runs N engine processes and keeps them up.

Each child is a fresh interpreter (``spawn``) that loads the config and plugins itself and runs
one :class:`~riverhost.engine.host.Host`, so N processes use N cores. A child that dies without
being asked is started again, after a pause that grows while it keeps dying young. SIGTERM or
SIGINT is passed on to every child (a second one too, making their stop a hard one); the
supervisor returns once all have exited, killing any that outlive the shutdown timeout by
:data:`KILL_AFTER` seconds.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import time
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING

from riverhost.config import RiverhostConfig
from riverhost.logging import get_logger

if TYPE_CHECKING:
    from riverhost.engine.runner import StartSpec

__all__ = ["KILL_AFTER", "supervise"]

log = get_logger("riverhost.supervisor")

KILL_AFTER = 10.0
"""Seconds past ``jobs.shutdown_timeout`` after which a child still running is killed."""

_YOUNG = 10.0  # a child that dies sooner than this after starting backs off its restarts


def _child(spec: StartSpec, url: str, poll_only: bool) -> None:
    from riverhost.engine.runner import run_engine
    from riverhost.registry import load_registry

    run_engine(load_registry(spec.load()), url, poll_only=poll_only)


def supervise(
    spec: StartSpec, config: RiverhostConfig, url: str, *, processes: int, poll_only: bool
) -> None:
    """Run ``processes`` engine children until SIGTERM / SIGINT; see the module docstring.

    Each child loads the config from ``spec`` itself; ``config`` is the parent's copy of it.
    """
    spawn = multiprocessing.get_context("spawn")
    args = (spec, url, poll_only)
    shutdown = config.jobs.shutdown_timeout.total_seconds()
    children: dict[int, BaseProcess] = {}
    started: dict[int, float] = {}
    backoff: dict[int, float] = {}
    signals: list[int] = []

    def start(slot: int) -> None:
        child = spawn.Process(target=_child, args=args, name=f"riverhost-engine-{slot}")
        child.start()
        children[slot] = child
        started[slot] = time.monotonic()
        log.info("supervisor.process_started", slot=slot, pid=child.pid)

    def forward(signum: int, _frame: object) -> None:
        signals.append(signum)
        for child in children.values():
            if child.pid is not None and child.is_alive():
                os.kill(child.pid, signal.SIGTERM)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for slot in range(processes):
            start(slot)
        restart_at: dict[int, float] = {}
        while not signals:
            sentinels = [c.sentinel for c in children.values() if c.is_alive()]
            multiprocessing.connection.wait(sentinels, timeout=0.5)
            now = time.monotonic()
            for slot, child in list(children.items()):
                if signals or child.is_alive() or slot in restart_at:
                    continue
                lived = now - started[slot]
                backoff[slot] = min(backoff.get(slot, 0.5) * 2, 30.0) if lived < _YOUNG else 1.0
                restart_at[slot] = now + backoff[slot]
                log.error(
                    "supervisor.process_died",
                    slot=slot,
                    pid=child.pid,
                    exitcode=child.exitcode,
                    restart_in_s=backoff[slot],
                )
            for slot, when in list(restart_at.items()):
                if when <= now and not signals:
                    del restart_at[slot]
                    start(slot)
        deadline = time.monotonic() + shutdown + KILL_AFTER
        for child in children.values():
            child.join(max(0.0, deadline - time.monotonic()))
            if child.is_alive():
                log.error("supervisor.process_killed", pid=child.pid)
                child.kill()
                child.join()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
