"""``riverhost`` as a subprocess, for the tests that run it as an operator would.

:class:`RunningHost` starts ``riverhost --log-format json run ...`` and reads its log lines on
a thread of its own (so a chatty host never blocks on a full pipe), keeping every record;
tests wait for events with a deadline. :func:`poll` and :func:`wait_for_state` wait on the
database the same way. No sleeping on guesses: every wait is a condition with a deadline.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import psycopg

Record = dict[str, Any]


class RunningHost:
    """A ``riverhost run`` process (or any ``riverhost`` command) whose JSON logs are kept."""

    def __init__(self, env: dict[str, str], *args: str, command: Sequence[str] = ("run",)) -> None:
        argv = [sys.executable, "-m", "riverhost", "--log-format", "json", *command, *args]
        # A session of its own: close() can kill a supervisor's engine processes with it.
        self.process = subprocess.Popen(
            argv,
            env=env,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        self.records: list[Record] = []
        self._changed = threading.Condition()
        self._ended = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def __enter__(self) -> RunningHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pid(self) -> int:
        return self.process.pid

    def close(self) -> None:
        """Kill the process and any it started; return once every line they wrote is read."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._reader.join(timeout=30)
        assert self.process.stderr is not None
        if not self._reader.is_alive():  # closing a pipe another thread reads would block
            self.process.stderr.close()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            try:
                record = json.loads(line)
            except ValueError:  # a traceback or a child's dying words: keep them readable
                record = {"event": None, "text": line.rstrip("\n")}
            with self._changed:
                self.records.append(record)
                self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def events(self, event: str, **fields: object) -> list[Record]:
        """Every record of ``event`` logged so far whose ``fields`` match."""
        with self._changed:
            return [
                r
                for r in self.records
                if r.get("event") == event and all(r.get(k) == v for k, v in fields.items())
            ]

    def wait_for(
        self, event: str, count: int = 1, timeout: float = 60, **fields: object
    ) -> list[Record]:
        """The first ``count`` records of ``event`` (with ``fields``), waiting for them."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = self.events(event, **fields)
                if len(found) >= count:
                    return found[:count]
                left = deadline - time.monotonic()
                if left <= 0 or self._ended:
                    why = "the process ended" if self._ended else f"{timeout}s passed"
                    raise AssertionError(
                        f"{count} x {event} not logged ({why}); saw {self.records!r:.3000}"
                    )
                self._changed.wait(left)

    def client_id(self, timeout: float = 60) -> str:
        """The client id the host logs when it runs (what it writes into ``attempted_by``)."""
        return str(self.wait_for("host.running", timeout=timeout)[0]["client_id"])

    def stop(self, timeout: float = 60, signum: int = signal.SIGTERM) -> int:
        """Send ``signum`` and return the exit code once the process has ended."""
        self.process.send_signal(signum)
        return self.process.wait(timeout=timeout)


def poll(
    conn: psycopg.Connection[Any],
    query: str,
    until: Callable[[list[Any]], object],
    timeout: float = 60,
    params: Sequence[object] | None = None,
) -> list[Any]:
    """Run ``query`` until ``until(rows)`` holds; return the rows."""
    deadline = time.monotonic() + timeout
    while True:
        rows = conn.execute(query, params).fetchall()
        if until(rows):
            return rows
        assert time.monotonic() < deadline, f"gave up waiting; last rows: {rows!r:.1000}"
        time.sleep(0.05)


def wait_for_state(database_url: str, ids: list[int], state: str, timeout: float = 60) -> None:
    """Wait until every job in ``ids`` is in ``state``."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        poll(
            conn,
            "SELECT count(*) FROM river_job WHERE id = ANY(%s) AND state = %s",
            lambda rows: rows[0][0] == len(ids),
            timeout,
            (ids, state),
        )
