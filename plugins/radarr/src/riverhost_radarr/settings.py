"""The radarr plugin's settings: its ``plugins.radarr`` config section.

Every field has a default, so the plugin loads (and ``riverhost plugins check`` passes) with an
empty section; a sync then ends cancelled saying which key to set, and the webhook route is
only served once ``webhook_secret`` is set.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from riverhost import Duration

__all__ = ["RadarrSettings"]


class RadarrSettings(BaseModel):
    """``plugins.radarr``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str = "http://localhost:7878"
    """Radarr's address; requests go to ``{base_url}/api/v3``."""
    api_key: SecretStr | None = None
    """Sent as ``X-Api-Key`` (Radarr: Settings > General > Security)."""
    webhook_secret: SecretStr | None = None
    """What Radarr's webhook connection sends in ``X-Webhook-Secret`` (a custom header);
    unset: no webhook route is served."""
    sync_interval: Duration | None = None
    """A periodic full sync every interval; unset: on demand (admin trigger, webhooks) only."""
    requests_per_second: float = Field(default=10.0, gt=0)
    burst: int = Field(default=20, ge=1)
    max_attempts: int = Field(default=4, ge=1, le=20)
    """Tries per request on 5xx and transport errors."""
    retry_wait_max: Duration = timedelta(seconds=10)
    timeout: Duration = timedelta(seconds=30)

    @field_validator("base_url")
    @classmethod
    def _http(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"must be an http:// or https:// URL, got {url!r}")
        return url.rstrip("/")

    @field_validator("sync_interval")
    @classmethod
    def _at_least_a_minute(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value < timedelta(minutes=1):
            raise ValueError(f"must be at least 1m, got {value}")
        return value
