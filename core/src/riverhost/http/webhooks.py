"""Plugins' webhook routes, under ``/api/v1/webhooks``: one endpoint per
:class:`~riverhost.webhooks.WebhookRoute` the enabled plugins declared (a disabled plugin's
routes do not exist: 404).

Each checks ``X-Webhook-Secret`` in constant time (401 without it, 403 when wrong), validates
the body against the route's payload model (FastAPI's 422 names each bad field; the model also
describes the body in the OpenAPI document), then calls the plugin's handler inside one
transaction and inserts the job it returns on that transaction: the handler's writes and the
job commit together. The answer is ``202 {"job_id": ..., "duplicate": ...}`` (``job_id`` null
when the handler chose to insert nothing).
"""

from __future__ import annotations

import hmac
import inspect
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, HTTPException, Request
from pydantic import BaseModel

from riverhost.args import InsertOpts
from riverhost.http.app import ErrorAnswer, state_of
from riverhost.registry import RegisteredRoute, Registry
from riverhost.webhooks import WEBHOOK_PREFIX, WebhookContext

__all__ = ["WebhookAnswer", "router_for"]


class WebhookAnswer(BaseModel):
    """What a webhook answers once its payload is taken: the job inserted for it, if any."""

    job_id: int | None
    duplicate: bool = False


def router_for(registry: Registry) -> APIRouter:
    """The routes of every enabled plugin's webhooks."""
    router = APIRouter(prefix=WEBHOOK_PREFIX, tags=["webhooks"])
    for path, registered in registry.routes.items():
        router.add_api_route(
            f"/{path}",
            _endpoint(registered),
            dependencies=[Depends(_secret_check(registered))],
            methods=[registered.spec.method],
            status_code=202,
            summary=registered.spec.summary or f"Webhook of plugin {registered.plugin.name}",
            response_model=WebhookAnswer,
            responses={
                400: {"model": ErrorAnswer, "description": "a body that cannot be read"},
                401: {"model": ErrorAnswer, "description": "no X-Webhook-Secret"},
                403: {"model": ErrorAnswer, "description": "a wrong X-Webhook-Secret"},
                413: {"model": ErrorAnswer, "description": "request body over http.max_body"},
            },
        )
    return router


def _secret_check(registered: RegisteredRoute) -> Any:
    """A dependency checking the route's secret before its body is even read."""
    secret = registered.spec.secret
    expected = secret.get_secret_value().encode() if secret is not None else None

    def check(
        given: Annotated[str | None, Header(alias="X-Webhook-Secret")] = None,
    ) -> None:
        if expected is None:
            return
        if not given:
            raise HTTPException(401, "the X-Webhook-Secret header is required")
        if not hmac.compare_digest(given.encode(), expected):
            raise HTTPException(403, "X-Webhook-Secret does not match this webhook's secret")

    return check


def _endpoint(registered: RegisteredRoute) -> Any:
    route, plugin = registered.spec, registered.plugin.name

    async def endpoint(request: Request, payload: Any) -> WebhookAnswer:
        state = state_of(request)
        settings = state.registry.settings.get(plugin)
        async with state.pool.connection() as conn, conn.transaction():
            context = WebhookContext(plugin, settings, conn, state.client)
            job = await route.handler(payload, context)
            if job is None:
                return WebhookAnswer(job_id=None)
            args, opts = job if isinstance(job, tuple) else (job, InsertOpts())
            result = await state.client.insert(args, opts, conn=conn)
        return WebhookAnswer(job_id=result.job.id, duplicate=result.duplicate)

    # The payload's model is the route's own: give FastAPI a signature naming it, so it
    # validates the body (422 per field) and describes it in the OpenAPI document.
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY, annotation=Request),
            inspect.Parameter(
                "payload",
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[route.payload, Body()],
            ),
        ],
        return_annotation=WebhookAnswer,
    )
    endpoint.__name__ = f"webhook_{plugin}_{route.path.replace('/', '_').replace('-', '_')}"
    return endpoint
