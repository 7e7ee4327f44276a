"""Not written yet: the worker cancels its job saying so."""

from __future__ import annotations

from typing import Any

from riverhost import Job, JobCancel, JobContext


async def run_file_match(job: Job[Any], ctx: JobContext) -> dict[str, Any]:
    raise JobCancel(f"{job.kind} is not implemented yet")
