"""The four kinds' args, wire-compatible with the seed's Go structs (same kinds, same JSON
field names; ``older_than`` is Go's ``time.Duration``, integer nanoseconds).

The models live apart from the workers so that inserting a job (the CLI, the admin API, a
periodic tick) imports neither httpx nor aiosmtplib.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID, uuid4

from pydantic import Field, TypeAdapter, field_validator

from riverhost import Duration, InsertOpts, JobArgs

_DURATION: TypeAdapter[timedelta] = TypeAdapter(Duration)
NANOSECONDS = 1_000_000_000


class NotificationArgs(JobArgs):
    """One event to send to the notification agents (seed: ``NotificationArgs``)."""

    kind: ClassVar[str] = "notification"
    insert_opts: ClassVar[InsertOpts] = InsertOpts(queue="high", max_attempts=5)

    event_id: UUID = Field(default_factory=uuid4)
    event_type: str = Field(min_length=1, max_length=128)
    timestamp: datetime = Field(default_factory=lambda: datetime.now(UTC))
    user_id: UUID | None = None
    target_id: UUID | None = None
    data: dict[str, Any] = {}
    metadata: dict[str, str] = {}
    agent_names: list[str] = []
    """Send to these agents only (those that exist and are enabled); empty: every agent."""


class CleanupArgs(JobArgs):
    """Delete old rows of one target, or of every target (``"all"``)."""

    kind: ClassVar[str] = "cleanup"
    insert_opts: ClassVar[InsertOpts] = InsertOpts(queue="low", max_attempts=5)

    target_type: str = Field(min_length=1, max_length=64)
    older_than: int = Field(default=0, ge=0)
    """Go's ``time.Duration`` (nanoseconds; ``"30d"`` accepted too); 0: each target's own age."""
    batch_size: int = Field(default=0, ge=0, le=1_000_000)
    """Rows per delete statement; 0: ``plugins.maintenance.cleanup.batch_size``."""
    dry_run: bool = False
    """Count what would be deleted, delete nothing."""

    @field_validator("older_than", mode="before")
    @classmethod
    def _duration_text(cls, value: object) -> object:
        if isinstance(value, str) and not value.isdigit():
            return int(_DURATION.validate_python(value) / timedelta(microseconds=1)) * 1000
        return value

    def age(self) -> timedelta | None:
        return timedelta(microseconds=self.older_than // 1000) if self.older_than else None


class ActivityCleanupArgs(JobArgs):
    """Prune ``riverhost_activity`` past ``retention_days`` (seed: ``ActivityCleanupArgs``)."""

    kind: ClassVar[str] = "activity_cleanup"
    insert_opts: ClassVar[InsertOpts] = InsertOpts(queue="low", max_attempts=3)

    retention_days: int = 0
    """0 or less: ``plugins.maintenance.activity_retention_days`` (default 90)."""
    dry_run: bool = False


class LibraryScanCleanupArgs(JobArgs):
    """Prune finished scan records of every plugin declaring them (seed:
    ``LibraryScanCleanupArgs``)."""

    kind: ClassVar[str] = "library_scan_cleanup"
    insert_opts: ClassVar[InsertOpts] = InsertOpts(queue="low", max_attempts=3)

    retention_days: int = 0
    """0 or less: ``plugins.maintenance.scan_retention_days`` (default 30)."""
    dry_run: bool = False
