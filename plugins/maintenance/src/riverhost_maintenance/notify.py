"""The ``notification`` worker and its agents: generic webhook, Discord, Gotify, ntfy, email.

The event model is the seed's (types with a category each; per-agent ``event_types`` /
``event_categories`` filters). What differs on purpose: each delivery is recorded per job and
agent in ``maintenance.notification_delivery``, so a retry sends only to the agents that have
not yet succeeded (the seed re-sent to all, and failed only when every agent failed); the job
fails while any agent still fails; the output lists every agent's result. Agents make no
retries of their own: the job's retries are the retries, visible in ``jobs show``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import string
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

import httpx

from riverhost import Job, JobContext
from riverhost_maintenance.args import NotificationArgs
from riverhost_maintenance.resources import Resources
from riverhost_maintenance.settings import (
    Agent,
    DiscordAgent,
    EmailAgent,
    GotifyAgent,
    NtfyAgent,
    WebhookAgent,
)

_CATEGORIES = {
    "movie": "content",
    "request": "requests",
    "library": "library",
    "user": "user",
    "auth": "auth",
    "playback": "playback",
}
_TITLES = {
    "movie.added": "🎬 Movie added",
    "movie.available": "🎬 Movie available",
    "library.scan_started": "📚 Library scan started",
    "library.scan_done": "📚 Library scan done",
    "system.job_discarded": "⚠️ Job discarded",
}
_COLOURS = {
    "content": 0x2ECC71,
    "library": 0x3498DB,
    "requests": 0x3498DB,
    "auth": 0xF39C12,
}
_RED = 0xE74C3C
_PURPLE = 0x9B59B6
_NTFY_TAGS = {"content": "movie_camera", "library": "books", "auth": "lock", "system": "warning"}


def category(event_type: str) -> str:
    """The seed's category of an event type; ``system`` for anything unknown."""
    return _CATEGORIES.get(event_type.split(".", 1)[0], "system")


def title(event: NotificationArgs) -> str:
    given = event.data.get("title")
    if isinstance(given, str) and given:
        return given
    return _TITLES.get(event.event_type, event.event_type.replace(".", " ").replace("_", " "))


def message(event: NotificationArgs) -> str:
    for key in ("description", "message"):
        given = event.data.get(key)
        if isinstance(given, str) and given:
            return given
    return title(event)


# ----------------------------------------------------------------------------- the agents


class DeliveryError(Exception):
    """An agent's service refused or failed the delivery."""


def _check(response: httpx.Response, ok: tuple[int, ...] | None = None) -> None:
    good = response.status_code in ok if ok else response.is_success
    if not good:
        body = response.text[:300].strip()
        raise DeliveryError(f"HTTP {response.status_code} from {response.request.url}: {body}")


class _Template(string.Template):
    idpattern = r"(?a:[a-z_][a-z0-9_.]*)"


def _fields(event: NotificationArgs) -> dict[str, str]:
    fields = {
        "event_id": str(event.event_id),
        "event_type": event.event_type,
        "event_category": category(event.event_type),
        "timestamp": event.timestamp.isoformat(),
        "user_id": "" if event.user_id is None else str(event.user_id),
        "target_id": "" if event.target_id is None else str(event.target_id),
        "title": title(event),
        "message": message(event),
        "data": json.dumps(event.data, default=str),
    }
    for key, value in event.data.items():
        fields[f"data.{key}"] = value if isinstance(value, str) else json.dumps(value, default=str)
    for key, value in event.metadata.items():
        fields[f"metadata.{key}"] = value
    return fields


def _fill(template: Any, fields: dict[str, str]) -> Any:
    if isinstance(template, str):
        return _Template(template).safe_substitute(fields)
    if isinstance(template, dict):
        return {key: _fill(value, fields) for key, value in template.items()}
    if isinstance(template, list):
        return [_fill(value, fields) for value in template]
    return template


def webhook_body(agent: WebhookAgent, event: NotificationArgs) -> Any:
    if agent.payload_template is not None:
        return _fill(agent.payload_template, _fields(event))
    body = event.model_dump(mode="json", exclude={"agent_names"}, exclude_none=True)
    body["source"] = "riverhost"
    return body


async def send_webhook(
    http: httpx.AsyncClient, agent: WebhookAgent, event: NotificationArgs
) -> None:
    headers = {"Content-Type": agent.content_type, **agent.headers}
    auth: httpx.BasicAuth | None = None
    if agent.auth == "basic":
        auth = httpx.BasicAuth(agent.username, agent.password)
    elif agent.auth == "bearer":
        headers["Authorization"] = f"Bearer {agent.token}"
    elif agent.auth == "header":
        headers[agent.header_name] = agent.header_value
    content = json.dumps(webhook_body(agent, event), ensure_ascii=False).encode()
    response = await http.request(
        agent.method, agent.url, content=content, headers=headers, auth=auth
    )
    _check(response)


def discord_body(agent: DiscordAgent, event: NotificationArgs) -> dict[str, Any]:
    kind = category(event.event_type)
    red = event.event_type in ("auth.login_failed", "request.denied", "system.job_discarded")
    embed: dict[str, Any] = {
        "title": title(event)[:256],
        "description": message(event)[:4096],
        "color": _RED if red else _COLOURS.get(kind, _PURPLE),
        "timestamp": event.timestamp.isoformat(),
        "footer": {"text": "riverhost"},
    }
    if isinstance(poster := event.data.get("poster_url"), str):
        embed["thumbnail"] = {"url": poster}
    if isinstance(url := event.data.get("url"), str):
        embed["url"] = url
    fields = [
        {
            "name": key.replace("_", " ").title(),
            "value": str(event.data[key])[:1024],
            "inline": True,
        }
        for key in ("year", "library_id", "movies_added", "scan_duration", "kind", "job_id")
        if key in event.data
    ]
    if fields:
        embed["fields"] = fields[:25]
    body: dict[str, Any] = {"username": agent.username, "embeds": [embed]}
    if agent.avatar_url:
        body["avatar_url"] = agent.avatar_url
    return body


async def send_discord(
    http: httpx.AsyncClient, agent: DiscordAgent, event: NotificationArgs
) -> None:
    response = await http.post(agent.webhook_url, json=discord_body(agent, event))
    if response.status_code == 429:
        retry_after = response.headers.get("Retry-After", "?")
        raise DeliveryError(f"Discord rate limit: retry after {retry_after}s")
    _check(response, (200, 204))


def gotify_priority(agent: GotifyAgent, event_type: str) -> int:
    if event_type in ("auth.login_failed", "system.job_discarded"):
        return 8
    if event_type in ("auth.password_changed", "auth.mfa_enabled", "auth.mfa_disabled"):
        return 7
    if event_type in ("user.created", "user.deleted"):
        return 6
    return agent.default_priority


async def send_gotify(http: httpx.AsyncClient, agent: GotifyAgent, event: NotificationArgs) -> None:
    body: dict[str, Any] = {
        "title": title(event),
        "message": message(event),
        "priority": gotify_priority(agent, event.event_type),
        "extras": {"client::display": {"contentType": "text/plain"}},
    }
    if isinstance(url := event.data.get("url"), str):
        body["extras"]["client::notification"] = {"click": {"url": url}}
    response = await http.post(
        f"{agent.server_url.rstrip('/')}/message",
        json=body,
        headers={"X-Gotify-Key": agent.app_token},
    )
    _check(response, (200,))


def _header_text(value: str) -> str:
    """ntfy reads RFC 2047 encoded words; HTTP headers carry ASCII only."""
    return value if value.isascii() else Header(value, "utf-8").encode()


async def send_ntfy(http: httpx.AsyncClient, agent: NtfyAgent, event: NotificationArgs) -> None:
    kind = category(event.event_type)
    headers = {
        "Title": _header_text(title(event)),
        "Priority": str(
            4 if event.event_type == "system.job_discarded" else agent.default_priority
        ),
        "Tags": _NTFY_TAGS.get(kind, "bell"),
    }
    if isinstance(url := event.data.get("url"), str):
        headers["Click"] = url
    if isinstance(icon := event.data.get("icon_url"), str):
        headers["Icon"] = icon
    if agent.access_token:
        headers["Authorization"] = f"Bearer {agent.access_token}"
    elif agent.username:
        token = base64.b64encode(f"{agent.username}:{agent.password}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    response = await http.post(
        f"{agent.server_url.rstrip('/')}/{agent.topic}",
        content=message(event).encode(),
        headers=headers,
    )
    _check(response, (200,))


def email_message(agent: EmailAgent, event: NotificationArgs) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = formataddr((agent.from_name, agent.from_address))
    recipients = event.data.get("email_recipients")
    to = recipients if isinstance(recipients, list) and recipients else agent.to_addresses
    mail["To"] = ", ".join(str(each) for each in to)
    subject = event.data.get("email_subject")
    mail["Subject"] = subject if isinstance(subject, str) and subject else title(event)
    mail["Date"] = format_datetime(event.timestamp)
    lines = [message(event), "", f"Event: {event.event_type} ({event.event_id})"]
    lines += [
        f"{key}: {value}"
        for key, value in event.data.items()
        if key not in ("title", "message", "description")
    ]
    mail.set_content("\n".join(lines))
    return mail


async def send_email(agent: EmailAgent, event: NotificationArgs) -> None:
    import aiosmtplib

    try:
        await aiosmtplib.send(
            email_message(agent, event),
            hostname=agent.host,
            port=agent.port,
            username=agent.username or None,
            password=agent.password or None,
            use_tls=agent.security == "tls",
            start_tls=agent.security == "starttls",
            validate_certs=not agent.skip_verify,
            timeout=agent.timeout.total_seconds(),
        )
    except aiosmtplib.SMTPException as exc:
        raise DeliveryError(f"SMTP {agent.host}:{agent.port}: {exc}") from exc


async def send(resources: Resources, agent: Agent, event: NotificationArgs) -> None:
    """Deliver ``event`` to ``agent`` within the agent's timeout; raises on any failure."""
    http = resources.http
    async with asyncio.timeout(agent.timeout.total_seconds()):
        if isinstance(agent, WebhookAgent):
            await send_webhook(http, agent, event)
        elif isinstance(agent, DiscordAgent):
            await send_discord(http, agent, event)
        elif isinstance(agent, GotifyAgent):
            await send_gotify(http, agent, event)
        elif isinstance(agent, NtfyAgent):
            await send_ntfy(http, agent, event)
        else:
            await send_email(agent, event)


# ----------------------------------------------------------------------------- the worker

_SENT_BEFORE = """
SELECT agent, attempt, sent_at FROM "maintenance".notification_delivery
WHERE job_id = %s AND state = 'sent'
"""
_RECORD = """
INSERT INTO "maintenance".notification_delivery AS d
    (job_id, agent, state, attempt, error, sent_at)
VALUES (%(job_id)s, %(agent)s, %(state)s, %(attempt)s, %(error)s,
        CASE WHEN %(state)s = 'sent' THEN now() END)
ON CONFLICT (job_id, agent) DO UPDATE SET
    state = excluded.state, attempt = excluded.attempt, error = excluded.error,
    sent_at = excluded.sent_at, tries = d.tries + 1, updated_at = now()
"""


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = str(exc) or type(exc).__name__
    return re.sub(r"\s+", " ", text)[:500]


async def notification(job: Job[NotificationArgs], ctx: JobContext) -> dict[str, Any]:
    resources = ctx.resources
    assert isinstance(resources, Resources)
    event = job.args
    kind = category(event.event_type)
    results: dict[str, dict[str, Any]] = {}
    named = set(event.agent_names)
    for name in sorted(named - {agent.name for agent in resources.settings.agents}):
        results[name] = {"result": "unknown_agent"}
    async with ctx.transaction() as conn:
        rows = await (await conn.execute(_SENT_BEFORE, (job.id,))).fetchall()
    sent_before = {agent: (attempt, sent_at) for agent, attempt, sent_at in rows}
    due: list[Agent] = []
    for agent in resources.settings.agents:
        if named and agent.name not in named:
            continue
        if not agent.should_send(event.event_type, kind):
            results[agent.name] = {"result": "filtered" if agent.enabled else "disabled"}
        elif agent.name in sent_before:
            attempt, sent_at = sent_before[agent.name]
            results[agent.name] = {
                "result": "sent",
                "attempt": attempt,
                "sent_at": sent_at.isoformat(),
            }
        else:
            due.append(agent)
    outcomes = await asyncio.gather(
        *(send(resources, agent, event) for agent in due), return_exceptions=True
    )
    failed: list[str] = []
    async with ctx.transaction() as conn:
        for agent, outcome in zip(due, outcomes, strict=True):
            error = None if outcome is None else _describe(outcome)
            if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
                raise outcome  # a cancel of the attempt, not a failed delivery
            state = "sent" if error is None else "failed"
            await conn.execute(
                _RECORD,
                {
                    "job_id": job.id,
                    "agent": agent.name,
                    "state": state,
                    "attempt": job.attempt,
                    "error": error,
                },
            )
            results[agent.name] = {"result": state, "attempt": job.attempt}
            if error is not None:
                results[agent.name]["error"] = error
                failed.append(f"{agent.name}: {error}")
    if not resources.settings.agents:
        ctx.log.warning("notification.no_agents", event_type=event.event_type)
    output = {"event_type": event.event_type, "agents": dict(sorted(results.items()))}
    ctx.record_output(output)
    if failed:
        raise DeliveryError(f"{len(failed)} of {len(due)} agents failed: " + "; ".join(failed))
    return output
