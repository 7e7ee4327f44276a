"""riverhost alone: N no-op jobs queued first, then worked to the end by P engine processes.

    python -m benchmarks.throughput --jobs 20000 --processes 1 2 --workers 10 100

A quick check of the engine between full comparisons (``nox -s bench``), with the same driver
(:mod:`benchmarks.peers.riverhost`): jobs go in through COPY, every run gets a scratch database
on ``RIVERHOST_DATABASE_URL`` (or the embedded PostgreSQL), and each prints one JSON line.
``jobs_per_s`` counts from the first job's start to the last completion as polled;
``jobs_per_s_from_release`` includes the engine processes' start-up.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from benchmarks.bench import ROOT, scratch_database, server_url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workers", type=int, nargs="+", default=[10, 100])
    options = parser.parse_args()
    with server_url() as server:
        for processes in options.processes:
            for workers in options.workers:
                with scratch_database(server, "riverhost") as url:
                    task = {
                        "phase": "work",
                        "url": url,
                        "jobs": options.jobs,
                        "concurrency": workers,
                        "processes": processes,
                    }
                    out = subprocess.run(
                        [sys.executable, "-m", "benchmarks.peers.riverhost", json.dumps(task)],
                        cwd=ROOT,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL,
                        text=True,
                        check=True,
                    ).stdout
                result = json.loads(out.strip().splitlines()[-1])
                result.pop("event")
                print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
