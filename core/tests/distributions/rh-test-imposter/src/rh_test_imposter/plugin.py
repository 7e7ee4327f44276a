"""Throwaway plugin for riverhost's discovery tests."""

from __future__ import annotations

import os

from pydantic import BaseModel

with open(os.environ.get("RIVERHOST_TEST_IMPORT_LOG", os.devnull), "a") as _log:
    _log.write(__name__ + "\n")


class ScanArgs(BaseModel):
    path: str


def scan(args: ScanArgs) -> dict[str, int]:
    return {"files": len(os.listdir(args.path))}
