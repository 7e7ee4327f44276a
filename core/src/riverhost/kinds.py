"""What a plugin declares about its jobs: kinds, queues, uniqueness and job states.

These are the values the ``riverhost_job_kinds`` and ``riverhost_queues`` hooks return. They are
pydantic models so a bad declaration fails with the field and the value named; the registry
(:mod:`riverhost.registry`) turns those failures into errors that also name the plugin. The
rules on names are River's, so every kind and queue declared here is valid on River's tables.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from riverhost.durations import Duration
from riverhost.retry import RetryPolicy

__all__ = ["JobKind", "JobState", "QueueSpec", "UniqueOpts", "kind_problem"]

#: River's rule for kinds (``rivercommon.UserSpecifiedIDOrKindRE``, ``\A[\w][\w\-\[\]<>\/.·:+]+\z``;
#: Go's ``\w`` is ASCII only; its client refuses workers of other kinds); length is checked
#: separately.
KIND_PATTERN = r"^[0-9A-Za-z_][0-9A-Za-z_\-\[\]<>/.·:+]+$"
#: :data:`KIND_PATTERN` in words, for error messages.
KIND_RULE = (
    "River's rule for kinds: at least 2 characters, ASCII letters, digits and '_', then also "
    "'-', '[', ']', '<', '>', '/', '.', '·', ':' and '+'; no spaces, commas, quotes or control "
    "characters; at most 127 characters"
)
#: River's rule for queue names (``insert_opts.go``).
QUEUE_PATTERN = r"^[a-z0-9]+([_|-]?[a-z0-9]+)*$"


def kind_problem(kind: str) -> str | None:
    """Why River would refuse ``kind`` (``None`` if it would not), naming the rule."""
    if len(kind) <= 127 and re.fullmatch(KIND_PATTERN, kind):
        return None
    return f"{kind!r} breaks {KIND_RULE}"


class JobState(enum.StrEnum):
    """The states of ``river_job_state``, in the enum's declared order."""

    AVAILABLE = "available"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    DISCARDED = "discarded"
    PENDING = "pending"
    RETRYABLE = "retryable"
    RUNNING = "running"
    SCHEDULED = "scheduled"


#: States a custom ``by_state`` must keep (River rejects uniqueness without them).
UNIQUE_REQUIRED_STATES = frozenset(
    {JobState.AVAILABLE, JobState.PENDING, JobState.RUNNING, JobState.SCHEDULED}
)
#: River's default ``by_state``: every state but cancelled and discarded.
UNIQUE_DEFAULT_STATES = frozenset(JobState) - {JobState.CANCELLED, JobState.DISCARDED}


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError(f"must be positive, got {value}")
    return value


PositiveDuration = Annotated[Duration, AfterValidator(_positive)]


class UniqueOpts(BaseModel):
    """River's unique-job options: which jobs count as the same job.

    A job is unique once any option is set; ``by_state`` alone suffices, ``exclude_kind`` alone
    does not (River's rule).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    by_args: bool = False
    by_period: Duration | None = None
    by_queue: bool = False
    by_state: frozenset[JobState] | None = None
    exclude_kind: bool = False

    @field_validator("by_period")
    @classmethod
    def _period_at_least_a_second(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value < timedelta(seconds=1):
            raise ValueError(f"must be at least 1s, got {value}")
        return value

    @field_validator("by_state")
    @classmethod
    def _keeps_required_states(
        cls, value: frozenset[JobState] | None
    ) -> frozenset[JobState] | None:
        if value is not None and (missing := UNIQUE_REQUIRED_STATES - value):
            names = ", ".join(sorted(missing))
            raise ValueError(f"must include {names}: River requires them for unique jobs")
        return value

    @property
    def is_unique(self) -> bool:
        """Whether these options make a job unique at all."""
        return (
            self.by_args or self.by_period is not None or self.by_queue or self.by_state is not None
        )


class QueueSpec(BaseModel):
    """A queue a plugin needs that the five standard queues do not cover."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(max_length=64, pattern=QUEUE_PATTERN)
    max_workers: int = Field(ge=1, le=10_000)
    description: str = ""


class JobKind(BaseModel):
    """One kind of job a plugin works: its args model, its worker and how it runs.

    ``max_attempts`` left as ``None`` takes the host's ``jobs.max_attempts``; ``retry`` left as
    ``None`` takes River's default backoff.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    kind: str = Field(min_length=1, max_length=127, pattern=KIND_PATTERN)
    args: type[BaseModel]
    worker: Callable[..., object]
    queue: str = Field(default="default", max_length=64, pattern=QUEUE_PATTERN)
    timeout: PositiveDuration = timedelta(minutes=1)
    max_attempts: int | None = Field(default=None, ge=1, le=32_767)
    priority: int = Field(default=1, ge=1, le=4)
    retry: RetryPolicy | None = None
    unique: UniqueOpts | None = None
    description: str = ""

    @model_validator(mode="after")
    def _unique_must_mean_something(self) -> JobKind:
        if self.unique is not None and not self.unique.is_unique:
            raise ValueError(
                "unique options set but none makes the job unique "
                "(set by_args, by_period, by_queue or by_state)"
            )
        return self
