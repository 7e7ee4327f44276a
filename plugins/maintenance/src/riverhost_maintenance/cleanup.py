"""The workers of ``cleanup``, ``activity_cleanup`` and ``library_scan_cleanup``.

Unlike the seed, every arg does what it says: ``older_than`` replaces the targets' own ages,
``batch_size`` sizes the deletes, ``dry_run`` counts, and the output says how many rows went
per target. An unknown target cannot start to exist by retrying, so it cancels the job.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from riverhost import Job, JobCancel, JobContext
from riverhost_maintenance.args import ActivityCleanupArgs, CleanupArgs, LibraryScanCleanupArgs
from riverhost_maintenance.resources import Resources
from riverhost_maintenance.targets import CheckedTarget, prune

ALL = "all"


def _resources(ctx: JobContext) -> Resources:
    resources = ctx.resources
    assert isinstance(resources, Resources)
    return resources


async def _prune_each(
    ctx: JobContext,
    targets: list[CheckedTarget],
    *,
    age: timedelta | None,
    batch_size: int,
    dry_run: bool,
) -> dict[str, int]:
    counts: dict[str, int] = {}
    for checked in targets:
        name = checked.name

        def on_batch(total: int, name: str = name) -> None:
            ctx.raise_if_cancelled()
            ctx.report_progress("deleting", total, 0, name)

        counts[name] = await prune(
            checked,
            age or checked.target.older_than,
            transaction=ctx.transaction,
            batch_size=batch_size,
            dry_run=dry_run,
            on_batch=on_batch,
        )
    return counts


def _output(counts: dict[str, int], dry_run: bool, **extra: Any) -> dict[str, Any]:
    return {**extra, "dry_run": dry_run, ("would_delete" if dry_run else "deleted"): counts}


async def cleanup(job: Job[CleanupArgs], ctx: JobContext) -> dict[str, Any]:
    resources = _resources(ctx)
    args = job.args
    plain = {n: t for n, t in resources.targets.items() if not t.target.scan_records}
    if args.target_type == ALL:
        targets = list(plain.values())
    elif args.target_type in resources.targets:
        targets = [resources.targets[args.target_type]]
    else:
        known = ", ".join(sorted([ALL, *resources.targets]))
        raise JobCancel(f"unknown cleanup target {args.target_type!r}; known targets: {known}")
    batch = args.batch_size or resources.settings.cleanup.batch_size
    counts = await _prune_each(ctx, targets, age=args.age(), batch_size=batch, dry_run=args.dry_run)
    return _output(counts, args.dry_run)


async def activity_cleanup(job: Job[ActivityCleanupArgs], ctx: JobContext) -> dict[str, Any]:
    resources = _resources(ctx)
    days = job.args.retention_days
    if days <= 0:
        days = resources.settings.activity_retention_days
    counts = await _prune_each(
        ctx,
        [resources.activity],
        age=timedelta(days=days),
        batch_size=resources.settings.cleanup.batch_size,
        dry_run=job.args.dry_run,
    )
    return _output(counts, job.args.dry_run, retention_days=days)


async def library_scan_cleanup(job: Job[LibraryScanCleanupArgs], ctx: JobContext) -> dict[str, Any]:
    resources = _resources(ctx)
    days = job.args.retention_days
    if days <= 0:
        days = resources.settings.scan_retention_days
    targets = [t for t in resources.targets.values() if t.target.scan_records]
    counts = await _prune_each(
        ctx,
        targets,
        age=timedelta(days=days),
        batch_size=resources.settings.cleanup.batch_size,
        dry_run=job.args.dry_run,
    )
    return _output(counts, job.args.dry_run, retention_days=days)
