"""riverhost alone: N no-op jobs queued first, then worked to the end by P engine processes.

    python -m benchmarks.throughput --jobs 20000 --processes 1 2 --workers 10 100
    python -m benchmarks.throughput --against HEAD~1 --rounds 3 --workers 10 100
    python -m benchmarks.throughput --latency --jobs 1000 --against HEAD~1 --rounds 3

A quick check of the engine between full comparisons (``nox -s bench``), with the same driver
(:mod:`benchmarks.peers.riverhost`): jobs go in through COPY, every run gets a scratch database
on ``RIVERHOST_DATABASE_URL`` (or the embedded PostgreSQL), and each prints one JSON line.
``jobs_per_s`` counts from the first job's start to the last completion as polled;
``jobs_per_s_from_release`` includes the engine processes' start-up.

``--latency`` measures instead the bench's latency phase: jobs inserted one at a time on a
``--gap-ms`` grid into an idle host, latency = worker entry minus insert commit (p50, p99, max).

``--against REV`` measures this checkout and ``REV`` (checked out in a temporary git worktree)
alternately, run for run, and ends with the medians of each: on a shared machine only
measurements taken side by side compare. Compare ``cpu_ms_per_1000`` as well as jobs per second;
it moves less with the machine's noise.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.bench import ROOT, scratch_database, server_url


@contextlib.contextmanager
def worktree(rev: str) -> Iterator[Path]:
    """``rev`` checked out in a temporary git worktree, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="riverhost-") as parent:
        path = Path(parent) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(path), rev], cwd=ROOT, check=True
        )
        try:
            yield path
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT)


def run_once(server: str, tree: Path, task: dict[str, Any]) -> dict[str, Any]:
    """One work run of the driver in ``tree``, on a scratch database of its own."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tree / "core" / "src"), str(tree)])}
    with scratch_database(server, "riverhost") as url:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.peers.riverhost", json.dumps({**task, "url": url})],
            cwd=tree,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            check=True,
        ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result.pop("event")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workers", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--against", metavar="REV", help="also measure this git revision")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each measurement")
    parser.add_argument("--latency", action="store_true", help="the latency phase instead")
    parser.add_argument("--gap-ms", type=float, default=20, help="between latency jobs (20)")
    options = parser.parse_args()
    if options.latency:
        latency(options)
        return
    with contextlib.ExitStack() as stack:
        trees = {"this": ROOT}
        if options.against:
            trees[options.against] = stack.enter_context(worktree(options.against))
        server = stack.enter_context(server_url())
        results: dict[tuple[str, int, int], list[dict[str, Any]]] = {}
        for _ in range(options.rounds):
            for processes in options.processes:
                for workers in options.workers:
                    for name, tree in trees.items():
                        task = {
                            "phase": "work",
                            "jobs": options.jobs,
                            "concurrency": workers,
                            "processes": processes,
                        }
                        result = run_once(server, tree, task)
                        results.setdefault((name, processes, workers), []).append(result)
                        print(json.dumps({"tree": name, **result}), flush=True)
    if options.rounds > 1 or options.against:
        for (name, processes, workers), runs in results.items():
            print(
                f"{name:>12}  processes {processes}  workers {workers:>4}:  "
                f"{statistics.median(r['jobs_per_s'] for r in runs):>8,.0f} jobs/s  "
                f"{statistics.median(r['cpu_ms_per_1000'] for r in runs):>5.1f} CPU ms/1k jobs"
            )


def latency(options: argparse.Namespace) -> None:
    """Latency runs of each tree, interleaved round by round, then each tree's medians."""
    with contextlib.ExitStack() as stack:
        trees = {"this": ROOT}
        if options.against:
            trees[options.against] = stack.enter_context(worktree(options.against))
        server = stack.enter_context(server_url())
        results: dict[str, list[dict[str, Any]]] = {}
        for _ in range(options.rounds):
            for name, tree in trees.items():
                task = {"phase": "latency", "jobs": options.jobs, "gap_ms": options.gap_ms}
                result = run_once(server, tree, task)
                results.setdefault(name, []).append(result)
                print(json.dumps({"tree": name, **result}), flush=True)
    for name, runs in results.items():
        medians = {k: statistics.median(r[k] for r in runs) for k in ("p50_ms", "p99_ms", "max_ms")}
        worst = max(r["p99_ms"] for r in runs)
        print(
            f"{name:>12}  latency over {len(runs)} runs of {options.jobs} jobs: "
            f"p50 {medians['p50_ms']:.1f} ms  p99 {medians['p99_ms']:.1f} ms (worst run "
            f"{worst:.1f})  max {medians['max_ms']:.1f} ms"
        )


if __name__ == "__main__":
    main()
