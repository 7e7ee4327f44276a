"""What riverhost's throwaway test plugins share; installed beside every one of them."""

from __future__ import annotations

import os

from pydantic import BaseModel


def log_import(module: str) -> None:
    """Record that ``module`` was imported, in $RIVERHOST_TEST_IMPORT_LOG if set."""
    with open(os.environ.get("RIVERHOST_TEST_IMPORT_LOG", os.devnull), "a") as log:
        log.write(module + "\n")


class ScanArgs(BaseModel):
    path: str


def scan(job) -> dict[str, int]:
    """Count the entries of the folder the args name (the job's output)."""
    return {"files": len(os.listdir(job.args.path))}
