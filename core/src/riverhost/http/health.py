"""``/healthz`` (the process answers), ``/readyz`` (it can do its work: database reachable,
River's schema migrated, registry loaded; 503 naming what fails) and ``/metrics``
(Prometheus). None needs a token: probes and scrapers carry none."""

from __future__ import annotations

from typing import Any

import prometheus_client
import psycopg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from riverhost.http.app import state_of

__all__ = ["router"]

router = APIRouter(tags=["health"])

_SCHEMA = "SELECT to_regclass('river_job') IS NOT NULL, to_regclass('riverhost_host') IS NOT NULL"


@router.get("/healthz", summary="The process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Database reachable, schema migrated, registry loaded",
    responses={503: {"description": "what fails, by check"}},
)
async def readyz(request: Request) -> JSONResponse:
    state = state_of(request)
    failing: dict[str, str] = {}
    try:
        async with state.pool.connection(timeout=5) as conn:
            row = await (await conn.execute(_SCHEMA)).fetchone()
        if row is None or not all(row):
            failing["schema"] = "River's tables are missing: run `riverhost migrate`"
    except (psycopg.Error, TimeoutError) as exc:  # the pool's timeout is a TimeoutError too
        failing["database"] = f"{type(exc).__name__}: {exc}"
    checks: dict[str, Any] = {
        "database": "database" not in failing,
        "schema": not failing,
        "registry": f"{len(state.registry.kinds)} kinds",
    }
    if failing:
        return JSONResponse({"status": "unavailable", "failing": failing}, status_code=503)
    return JSONResponse({"status": "ready", "checks": checks})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics() -> Response:
    return Response(
        prometheus_client.generate_latest(), media_type=prometheus_client.CONTENT_TYPE_LATEST
    )
