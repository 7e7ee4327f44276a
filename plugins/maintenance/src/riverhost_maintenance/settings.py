"""The plugin's settings, ``plugins.maintenance``: notification agents, alerts on discarded
jobs, cleanup targets and batch size, retention days and the periodic jobs.

Only what pydantic can check lives here; checks that need the database (does the table
exist, is the column a timestamp) run when a host starts (:mod:`riverhost_maintenance.targets`).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from riverhost import Duration

NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
PERIODIC_IDS = ("auth_cleanup_daily", "activity_cleanup_daily", "library_scan_cleanup_daily")

EVENT_CATEGORIES = ("content", "requests", "library", "user", "auth", "playback", "system")


def _http_url(value: str) -> str:
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]


class _Agent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN, max_length=64)
    enabled: bool = True
    event_types: list[str] = []
    """Send only these event types (with ``event_categories``: either matches). Empty: all."""
    event_categories: list[Literal[*EVENT_CATEGORIES]] = []  # type: ignore[valid-type]
    timeout: Duration = timedelta(seconds=30)

    def should_send(self, event_type: str, category: str) -> bool:
        """The seed's ``ShouldSend``: enabled, and no filter or a filter that matches."""
        if not self.enabled:
            return False
        if not self.event_types and not self.event_categories:
            return True
        return event_type in self.event_types or category in self.event_categories


class WebhookAgent(_Agent):
    """A generic webhook: one JSON object per event (the default body or ``payload_template``)."""

    type: Literal["webhook"]
    url: HttpUrl
    method: Literal["POST", "PUT", "PATCH"] = "POST"
    headers: dict[str, str] = {}
    content_type: str = "application/json"
    auth: Literal["none", "basic", "bearer", "header"] = "none"
    username: str = ""
    """Basic auth's user name."""
    password: str = ""
    """Basic auth's password."""
    token: str = ""
    """Bearer auth's token."""
    header_name: str = ""
    """Header auth's header (``X-Api-Key``)."""
    header_value: str = ""
    payload_template: dict[str, Any] | None = None
    """A JSON object whose strings may hold ``${event_type}``, ``${title}``, ``${message}``,
    ``${data.KEY}``, ``${metadata.KEY}`` …; every value is a string after substitution."""

    @model_validator(mode="after")
    def _auth_complete(self) -> WebhookAgent:
        needed = {
            "none": (),
            "basic": ("username",),
            "bearer": ("token",),
            "header": ("header_name", "header_value"),
        }[self.auth]
        missing = [name for name in needed if not getattr(self, name)]
        if missing:
            raise ValueError(f"auth {self.auth!r} needs {', '.join(missing)}")
        return self


class DiscordAgent(_Agent):
    """A Discord channel webhook: one embed per event."""

    type: Literal["discord"]
    webhook_url: HttpUrl
    username: str = "riverhost"
    avatar_url: str | None = None


class GotifyAgent(_Agent):
    """A Gotify server: ``POST /message`` with an application token."""

    type: Literal["gotify"]
    server_url: HttpUrl
    app_token: str = Field(min_length=1)
    default_priority: int = Field(default=5, ge=0, le=10)


class NtfyAgent(_Agent):
    """An ntfy topic: the message as the body, title, priority, tags and click in headers."""

    type: Literal["ntfy"]
    server_url: HttpUrl = "https://ntfy.sh"
    topic: str = Field(min_length=1, pattern=r"^[-_A-Za-z0-9]{1,64}$")
    access_token: str = ""
    username: str = ""
    password: str = ""
    default_priority: int = Field(default=3, ge=1, le=5)


class EmailAgent(_Agent):
    """Email over SMTP: ``security`` is ``starttls`` (required, port 587), ``tls`` (implicit,
    port 465) or ``none`` (plain; loopback relays only)."""

    type: Literal["email"]
    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str = ""
    password: str = ""
    skip_verify: bool = False
    from_address: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    from_name: str = "riverhost"
    to_addresses: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]] = Field(min_length=1)


Agent = Annotated[
    WebhookAgent | DiscordAgent | GotifyAgent | NtfyAgent | EmailAgent,
    Field(discriminator="type"),
]


class DiscardedAlerts(BaseModel):
    """An operator alert (a ``notification`` job, event ``system.job_discarded``) whenever a
    job of this host runs out of attempts."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    agent_names: list[str] = []
    """Send the alert to these agents only (empty: every agent whose filter allows it)."""
    kinds: list[str] = []
    """Alert for these job kinds only (empty: every kind but ``notification`` itself)."""


class TargetSetting(BaseModel):
    """A table whose rows older than ``older_than`` (by ``column``) the cleanup deletes."""

    model_config = ConfigDict(extra="forbid")

    table: str = Field(min_length=1)
    column: str = Field(min_length=1)
    older_than: Duration
    condition: str | None = None
    """An SQL boolean expression the deleted rows must also meet (operator-written)."""
    scan_records: bool = False
    status_column: str = "status"


class CleanupSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(default=5000, ge=1, le=1_000_000)
    """Rows deleted per statement (and transaction) when a job's args give none."""
    targets: dict[Annotated[str, Field(pattern=NAME_PATTERN)], TargetSetting] = {}


class PeriodicSetting(BaseModel):
    """Overrides for one of the plugin's periodic jobs."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    every: Duration | None = None
    cron: str | None = None
    run_on_start: bool | None = None
    args: dict[str, Any] = {}
    """Args fields replacing the defaults (e.g. ``{"dry_run": true}``)."""


class Settings(BaseModel):
    """``plugins.maintenance``."""

    model_config = ConfigDict(extra="forbid")

    agents: list[Agent] = []
    alert_on_discarded: DiscardedAlerts = DiscardedAlerts()
    cleanup: CleanupSettings = CleanupSettings()
    activity_retention_days: int = Field(default=90, ge=1)
    scan_retention_days: int = Field(default=30, ge=1)
    periodic: dict[Literal[*PERIODIC_IDS], PeriodicSetting] = {}  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _names_known(self) -> Settings:
        names = [agent.name for agent in self.agents]
        if duplicates := sorted({name for name in names if names.count(name) > 1}):
            raise ValueError(f"agents: names must be unique, repeated: {', '.join(duplicates)}")
        if unknown := sorted(set(self.alert_on_discarded.agent_names) - set(names)):
            raise ValueError(
                f"alert_on_discarded.agent_names: no agent named {', '.join(unknown)}; "
                f"agents: {', '.join(names) or '(none)'}"
            )
        return self
