"""The threads sync workers run in (see :class:`WorkerThreads`)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor as _FuturesExecutor
from concurrent.futures import Future
from typing import Any

__all__ = ["WorkerThreads"]

_Work = tuple["Future[Any]", Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class WorkerThreads(_FuturesExecutor):
    """The threads sync workers run in: daemon threads, one more whenever none is idle.

    A :class:`~concurrent.futures.ThreadPoolExecutor` fits badly around workers that may be
    abandoned. Its size is fixed, so every stuck worker silently takes a thread for good, and
    once they are all taken new attempts wait in its queue while their timeouts run: failed as
    stuck without having started, then run anyway later, after their job was retried. And it
    joins its threads at exit, so one worker deaf to every stop keeps the process from exiting
    after the host has stopped. Here a submitted call starts at once (an idle thread takes it,
    or a new one is started: the producers' slots already bound how many run), and the threads
    are daemons: a stuck one dies with the process. Idle threads are kept for reuse.
    """

    def __init__(self, name_prefix: str = "riverhost-job") -> None:
        self._prefix = name_prefix
        self._work: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._threads: list[threading.Thread] = []
        self._shutdown = False

    @property
    def size(self) -> int:
        """Threads started so far and not ended (busy, idle or stuck)."""
        return sum(thread.is_alive() for thread in self._threads)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot run a worker after the host's threads shut down")
            self._work.put((future, fn, args, kwargs))
            if self._idle:
                self._idle -= 1  # that idle thread takes this call
            else:
                thread = threading.Thread(
                    target=self._serve, name=f"{self._prefix}-{len(self._threads)}", daemon=True
                )
                self._threads = [t for t in self._threads if t.is_alive()] + [thread]
                thread.start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
            if cancel_futures:
                while True:
                    try:
                        work = self._work.get_nowait()
                    except queue.Empty:
                        break
                    if work is not None:
                        work[0].cancel()
            for _ in self._threads:
                self._work.put(None)  # each thread that comes back for work ends
        if wait:
            for thread in self._threads:
                thread.join()

    def _serve(self) -> None:
        while (work := self._work.get()) is not None:
            future, fn, args, kwargs = work
            del work
            outcome: BaseException | None = None
            result: Any = None
            if future.set_running_or_notify_cancel():
                try:
                    result = fn(*args, **kwargs)
                except BaseException as exc:  # noqa: BLE001 - it becomes the attempt's outcome
                    outcome = exc
            # Count this thread idle before anyone learns the call ended: whoever submits next
            # on hearing of it must find this thread free, not start another.
            with self._lock:
                self._idle += 1
            if not future.done():
                if outcome is not None:
                    future.set_exception(outcome)
                else:
                    future.set_result(result)
            del future, fn, args, kwargs, result, outcome  # free the job's objects while idle
