"""The sitting's results as a summary, ratios, a text table, markdown and a PNG chart.

Everything here reads the medians :mod:`benchmarks.bench` stored; nothing is measured.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["chart", "markdown", "summarize", "text"]

Row = dict[str, Any]


def _median(measurements: dict[str, Any], key: str, field: str) -> float | None:
    found = measurements.get(key)
    return None if found is None else found["median"].get(field)


def _best_work(measurements: dict[str, Any]) -> tuple[float | None, int | None]:
    best: tuple[float | None, int | None] = (None, None)
    for key, found in measurements.items():
        if match := re.fullmatch(r"work:c(\d+)", key):
            rate = found["median"]["jobs_per_s"]
            if best[0] is None or rate > best[0]:
                best = (rate, int(match.group(1)))
    return best


def _row(name: str, system: dict[str, Any]) -> Row:
    m = system["measurements"]
    best, best_c = _best_work(m)
    bulk = [
        (k.split(":", 1)[1], v["median"]["jobs_per_s"])
        for k, v in m.items()
        if k.startswith("insert_batch:")
    ]
    row: Row = {
        "system": name,
        "version": system["version"],
        "insert_one": _median(m, "insert_one", "jobs_per_s"),
        "bulk": max((rate for api, rate in bulk if api != "copy"), default=None),
        "bulk_api": next((api for api, _ in bulk if api != "copy"), None),
        "copy": dict(bulk).get("copy"),
        "work_c10": _median(m, "work:c10", "jobs_per_s"),
        "work_best": best,
        "work_best_c": best_c,
        "work_p2": _median(m, "work:p2", "jobs_per_s"),
        "work_p4": _median(m, "work:p4", "jobs_per_s"),
        "startup_ms": _median(m, "work:c10", "startup_ms"),
        "p50_ms": _median(m, "latency", "p50_ms"),
        "p99_ms": _median(m, "latency", "p99_ms"),
        "max_ms": _median(m, "latency", "max_ms"),
        "rss_mb": _median(m, "work:c10", "peak_rss_mb"),
        "cpu_ms_per_1000": _median(m, "work:c10", "cpu_ms_per_1000"),
        "host_busy": _median(m, "work:c10", "host_cpu_busy"),
        "mix": _median(m, "mix", "jobs_per_s"),
        "mix_efficiency": _median(m, "mix", "efficiency"),
        "errors": len(system["errors"]),
    }
    if name == "ceiling":  # its one work run is at a fetch batch of 500, not concurrency 10
        row["work_best"], row["work_best_c"] = _median(m, "work:c500", "jobs_per_s"), 500
        for key in ("work_c10", "rss_mb", "cpu_ms_per_1000", "host_busy", "startup_ms"):
            row[key] = None
        row["rss_mb"] = _median(m, "work:c500", "peak_rss_mb")
        row["cpu_ms_per_1000"] = _median(m, "work:c500", "cpu_ms_per_1000")
    return row


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


#: (label, field, higher is better) for the riverhost-over-peer ratios.
RATIO_FIELDS = [
    ("work c=10", "work_c10", True),
    ("work at best concurrency", "work_best", True),
    ("one-at-a-time insert", "insert_one", True),
    ("bulk insert (insert_many vs peer's bulk API)", "bulk", True),
    ("latency p50", "p50_ms", False),
    ("latency p99", "p99_ms", False),
    ("worker peak RSS", "rss_mb", False),
    ("worker CPU per 1,000 jobs", "cpu_ms_per_1000", False),
    ("realistic mix", "mix", True),
]


def summarize(data: dict[str, Any]) -> dict[str, Any]:
    """Rows per system plus riverhost ÷ peer and riverhost ÷ ceiling ratios."""
    rows = [_row(name, system) for name, system in data["systems"].items()]
    by_name = {row["system"]: row for row in rows}
    rh = by_name.get("riverhost")
    peers: dict[str, dict[str, float | None]] = {}
    ceiling: dict[str, float | None] = {}
    if rh is not None:
        for row in rows:
            if row["system"] in ("riverhost", "ceiling"):
                continue
            peers[row["system"]] = {
                label: _ratio(rh[field], row[field]) for label, field, _ in RATIO_FIELDS
            }
            peers[row["system"]]["COPY insert vs peer's bulk API"] = _ratio(rh["copy"], row["bulk"])
        if (top := by_name.get("ceiling")) is not None:
            multi = max(
                (v for v in (rh["work_best"], rh["work_p2"], rh["work_p4"]) if v), default=None
            )
            ceiling = {
                "work, 1 process at best concurrency": _ratio(rh["work_best"], top["work_best"]),
                "work, best of 1/2/4 processes": _ratio(multi, top["work_best"]),
                "COPY insert (insert_many_fast vs raw COPY)": _ratio(rh["copy"], top["copy"]),
                "one-at-a-time insert (client vs raw INSERT)": _ratio(
                    rh["insert_one"], top["insert_one"]
                ),
            }
    return {"rows": rows, "riverhost_over_peer": peers, "riverhost_over_ceiling": ceiling}


# ----------------------------------------------------------------------------- tables


def _n(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


COLUMNS: list[tuple[str, Callable[[Row], str]]] = [
    ("system", lambda r: f"{r['system']} {r['version'] or ''}".strip()),
    ("one-by-one ins/s", lambda r: _n(r["insert_one"])),
    ("bulk ins/s (API)", lambda r: f"{_n(r['bulk'])} ({r['bulk_api']})" if r["bulk"] else "-"),
    ("COPY ins/s", lambda r: _n(r["copy"])),
    ("work c=10 jobs/s", lambda r: _n(r["work_c10"])),
    (
        "best work jobs/s (c)",
        lambda r: f"{_n(r['work_best'])} ({r['work_best_c']})" if r["work_best"] else "-",
    ),
    (
        "2 / 4 procs jobs/s",
        lambda r: f"{_n(r['work_p2'])} / {_n(r['work_p4'])}" if r["work_p2"] else "-",
    ),
    (
        "p50 / p99 / max ms",
        lambda r: (
            f"{_n(r['p50_ms'], 1)} / {_n(r['p99_ms'], 1)} / {_n(r['max_ms'], 1)}"
            if r["p50_ms"] is not None
            else "-"
        ),
    ),
    ("start-up ms", lambda r: _n(r["startup_ms"])),
    ("RSS MB", lambda r: _n(r["rss_mb"], 1)),
    ("CPU ms/1k jobs", lambda r: _n(r["cpu_ms_per_1000"])),
    ("host busy", lambda r: f"{r['host_busy']:.0%}" if r["host_busy"] is not None else "-"),
    (
        "mix jobs/s (eff.)",
        lambda r: f"{_n(r['mix'])} ({r['mix_efficiency']:.0%})" if r["mix"] else "-",
    ),
]


def _cells(data: dict[str, Any]) -> list[list[str]]:
    return [[cell(row) for _, cell in COLUMNS] for row in data["summary"]["rows"]]


def _ratio_lines(data: dict[str, Any]) -> list[str]:
    summary = data["summary"]
    lines = []
    for peer, ratios in summary["riverhost_over_peer"].items():
        parts = [f"{label} {value:.2f}x" for label, value in ratios.items() if value is not None]
        lines.append(f"riverhost ÷ {peer}: " + "; ".join(parts))
    if summary["riverhost_over_ceiling"]:
        parts = [
            f"{label} {value:.2f}x"
            for label, value in summary["riverhost_over_ceiling"].items()
            if value is not None
        ]
        lines.append("riverhost ÷ ceiling: " + "; ".join(parts))
    return lines


def _machine_line(data: dict[str, Any]) -> str:
    m = data["machine"]
    s = m["postgresql_settings"]
    return (
        f"{m['cores']} cores ({m['cpu']}), {m['ram_gib']} GiB RAM, PostgreSQL {m['postgresql']} on "
        f"{m['postgresql_on']} (fsync {s['fsync']}, synchronous_commit {s['synchronous_commit']}, "
        f"shared_buffers {s['shared_buffers']}), Python {m['python']}, {m['os']}"
    )


def _options_line(data: dict[str, Any]) -> str:
    o = data["options"]
    return (
        f"runs {o['runs']} (medians), {o['jobs']:,} jobs per work run, ladder "
        f"{'/'.join(map(str, o['ladder']))}, {o['insert_jobs']:,} one-by-one inserts, "
        f"{o['bulk_jobs']:,} bulk inserts in batches of {o['batch']:,}, "
        f"{o['latency_jobs']} latency jobs {o['gap_ms']:g} ms apart, mix of {o['mix_jobs']:,} jobs"
        + (" (--quick)" if o["quick"] else "")
    )


def text(data: dict[str, Any]) -> str:
    """The table and ratios for a terminal."""
    headers = [name for name, _ in COLUMNS]
    cells = _cells(data)
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]
    lines = [
        _machine_line(data),
        _options_line(data) + f"; took {data['duration_s']:.0f} s",
        "",
        "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)),
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines += ["", *_ratio_lines(data)]
    for name, system in data["systems"].items():
        lines += [f"error in {name}: {error}" for error in system["errors"]]
    return "\n".join(lines) + "\n"


def markdown(data: dict[str, Any]) -> str:
    """The report page: machine, options, the table, the ratios, errors."""
    headers = [name for name, _ in COLUMNS]
    out = [
        "# riverhost and peers: one sitting",
        "",
        f"Measured {data['when']} by `nox -s bench` ({data['duration_s']:.0f} s).",
        "",
        f"**Machine:** {_machine_line(data)}.",
        "",
        f"**Options:** {_options_line(data)}.",
        "",
        "| " + " | ".join(headers) + " |",
        "|---|" + "---:|" * (len(headers) - 1),
    ]
    out += ["| " + " | ".join(row) + " |" for row in _cells(data)]
    out += [
        "",
        "Work throughput counts from the first job's start to the moment the system's own table",
        "shows every job finished (polled every 10 ms). Start-up, from releasing the worker",
        "process to its first job (c=10), is left out; the JSON's `jobs_per_s_from_release`",
        "counts it. RSS and CPU are the worker process's at c=10 (riverhost: one engine process;",
        "ceiling: its one process at batch 500). Host busy is the whole machine's CPU, PostgreSQL",
        "included, during that run. Latency: insert commit to job start, with an idle worker.",
        "Mix: five queues with the seeds' worker counts, jobs sleeping 1-20 ms, 5 % failing once",
        "(retried after about 1 s); efficiency is the least possible time over the time taken.",
        "",
        "## Ratios (riverhost ÷ other; for latency, RSS and CPU lower is better)",
        "",
    ]
    out += [f"- {line}" for line in _ratio_lines(data)]
    errors = [(n, e) for n, s in data["systems"].items() for e in s["errors"]]
    if errors:
        out += ["", "## Errors", ""] + [f"- {name}: {error}" for name, error in errors]
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- chart


def chart(data: dict[str, Any], path: Path) -> None:
    """Four panels: work throughput, inserts, latency, worker CPU per 1,000 jobs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = data["summary"]["rows"]
    names = [row["system"] for row in rows]
    fig, axes = plt.subplots(2, 3, figsize=(18, 9))

    def bars(ax: Any, series: list[tuple[str, str]], title: str, log: bool = False) -> None:
        width = 0.8 / len(series)
        for i, (label, field) in enumerate(series):
            values = [row[field] or 0 for row in rows]
            xs = [x + (i - (len(series) - 1) / 2) * width for x in range(len(rows))]
            ax.bar(xs, values, width, label=label)
        ax.set_xticks(range(len(rows)), names, rotation=20, ha="right")
        ax.set_title(title)
        if log:
            ax.set_yscale("log")
        ax.legend(fontsize=8)
        ax.grid(axis="y", alpha=0.3)

    work = [("c=10", "work_c10"), ("best c", "work_best"), ("2 procs", "work_p2")]
    bars(axes[0][0], [*work, ("4 procs", "work_p4")], "work throughput, jobs/s", log=True)
    inserts = [("one at a time", "insert_one"), ("bulk API", "bulk"), ("COPY", "copy")]
    bars(axes[0][1], inserts, "insert, jobs/s", log=True)
    bars(axes[0][2], [("p50", "p50_ms"), ("p99", "p99_ms")], "latency commit → start, ms")
    bars(axes[1][0], [("c=10", "cpu_ms_per_1000")], "worker CPU ms per 1,000 jobs")
    bars(axes[1][1], [("c=10", "rss_mb")], "worker peak RSS, MB")
    bars(axes[1][2], [("five queues", "mix")], "realistic mix, jobs/s")
    fig.suptitle(f"riverhost and peers, {data['when']} — {_machine_line(data)[:110]}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
