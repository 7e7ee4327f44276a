"""The dashboard at ``/``: queues, jobs, a job with its live progress, hosts, plugins.

Server-rendered with Jinja2 from the same views the admin API answers with; a little plain
JavaScript (``static/app.js``, no build step) refreshes the lists, asks before an action and
sends it to the admin API, turns times into "3 min ago", and moves a running job's progress
bar from the event stream. When the server has tokens, a page without a valid one sends the
operator to ``/login``, which keeps the token in an HTTP-only, same-site cookie.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from riverhost._version import __version__
from riverhost.errors import JobNotFoundError
from riverhost.http import admin
from riverhost.http.app import state_of
from riverhost.http.auth import COOKIE
from riverhost.kinds import JobState

__all__ = ["mount_static", "router"]

_HERE = Path(str(files("riverhost.http")))
templates = Jinja2Templates(directory=_HERE / "templates")
templates.env.globals["version"] = __version__

router = APIRouter(include_in_schema=False)

STATES = [state.value for state in JobState]


def mount_static(app: Any) -> None:
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")


def _page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    state = state_of(request)
    try:
        who = state.auth.actor(request)
    except HTTPException:
        target = quote(
            str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
        )
        return RedirectResponse(f"/login?next={target}", status_code=303)
    return templates.TemplateResponse(
        request, template, {"who": who, "auth": state.auth.required, **context}, status_code=status
    )


@router.get("/", response_class=HTMLResponse)
async def queues_page(request: Request) -> Response:
    state = state_of(request)
    queues = await admin.list_queues(state)
    hosts = await admin.list_hosts(state)
    return _page(request, "queues.html", queues=queues, hosts=hosts, states=STATES, nav="queues")


@router.get("/jobs", response_class=HTMLResponse)
async def jobs_page(
    request: Request,
    state_filter: Annotated[str, Query(alias="state")] = "",
    queue: str = "",
    kind: str = "",
    after: int | None = None,
) -> Response:
    state = state_of(request)
    chosen = [s for s in state_filter.split(",") if s in STATES]
    page = await admin.list_jobs(
        state,
        states=[JobState(s) for s in chosen],
        queue=[queue] if queue else [],
        kind=[kind] if kind else [],
        limit=50,
        after=after,
    )
    filters = {"state": ",".join(chosen), "queue": queue, "kind": kind}
    return _page(
        request,
        "jobs.html",
        page=page,
        filters=filters,
        states=STATES,
        kinds=sorted(state.registry.kinds),
        queues=sorted(state.registry.queues),
        nav="jobs",
    )


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
async def job_page(request: Request, job_id: int) -> Response:
    state = state_of(request)
    try:
        job = await admin.get_job(job_id, state)
    except JobNotFoundError:
        return _page(request, "missing.html", status=404, job_id=job_id, nav="jobs")
    recent = await admin.list_activity(state, job_id=job_id, limit=20)
    return _page(request, "job.html", job=job, activity=recent, nav="jobs")


@router.get("/hosts", response_class=HTMLResponse)
async def hosts_page(request: Request) -> Response:
    state = state_of(request)
    hosts = await admin.list_hosts(state)
    recent = await admin.list_activity(state, limit=50)
    return _page(request, "hosts.html", hosts=hosts, activity=recent, nav="hosts")


@router.get("/plugins", response_class=HTMLResponse)
async def plugins_page(request: Request) -> Response:
    state = state_of(request)
    return _page(
        request,
        "plugins.html",
        plugins=await admin.list_plugins(state),
        kinds=await admin.list_kinds(state),
        nav="plugins",
    )


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "/") -> Response:
    return templates.TemplateResponse(
        request, "login.html", {"next": _local(next), "error": None, "who": None, "nav": ""}
    )


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request, token: Annotated[str, Form()], next: Annotated[str, Form()] = "/"
) -> Response:
    state = state_of(request)
    try:
        state.auth.name_of(token)
    except HTTPException as exc:
        context = {"next": _local(next), "error": exc.detail, "who": None, "nav": ""}
        return templates.TemplateResponse(request, "login.html", context, status_code=403)
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", max_age=7 * 24 * 3600)
    return response


@router.post("/logout")
async def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


def _local(target: str) -> str:
    """Only paths of this server are followed after a login (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") else "/"
