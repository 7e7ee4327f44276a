"""A job as stored: one ``river_job`` row, its recorded errors and its progress.

:class:`Job` is what the client returns and what a worker receives (with its args validated
into the kind's model). Rows are read with the column list of
:data:`riverhost.db.queries.JOB_COLUMNS`; :meth:`Job.from_row` is the one place that turns
such a row into a :class:`Job`. This module does no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Generic, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, model_validator

from riverhost.kinds import JobState

__all__ = [
    "AttemptError",
    "InsertResult",
    "Job",
    "JobPage",
    "JobProgress",
    "QueueInfo",
    "job_state",
]

A = TypeVar("A")
B = TypeVar("B")

#: Where riverhost keeps a job's latest progress report inside ``metadata``.
PROGRESS_KEY = "progress"
#: River's key for a job's recorded output (``rivertype.MetadataKeyOutput``).
OUTPUT_KEY = "output"
#: Where metadata that is not an object (another client wrote a string, an array, ``null``) is
#: kept, on reading and by every write (``riverhost.db.queries._J_METADATA``).
ORIGINAL_METADATA_KEY = "original_metadata"


#: Read a state by dict: calling the enum costs more than the rest of a field's reading.
_STATES: dict[str, JobState] = {state.value: state for state in JobState}


def job_state(value: str) -> JobState:
    """The :class:`JobState` named ``value`` (``ValueError`` for a name River does not have)."""
    return _STATES.get(value) or JobState(value)


def _whole(value: object) -> int:
    if isinstance(value, int | float | str):
        try:
            return int(value)
        except (ValueError, OverflowError):
            pass
    return 0


@dataclass(frozen=True, slots=True)
class AttemptError:
    """One failed attempt, as River records it in ``errors``: ``{at, attempt, error, trace}``."""

    at: str
    attempt: int
    error: str
    trace: str

    @classmethod
    def from_json(cls, value: object) -> AttemptError:
        """Read one ``errors`` entry. Any client may write that column, so an entry of another
        shape (not an object, a non-numeric attempt) is kept readable in ``error``: reading a
        job never fails on it."""
        if not isinstance(value, Mapping):
            return cls(at="", attempt=0, error=json.dumps(value), trace="")
        attempt = value.get("attempt", 0)
        return cls(
            at=str(value.get("at", "")),
            attempt=attempt if type(attempt) is int else _whole(attempt),
            error=str(value.get("error", "")),
            trace=str(value.get("trace", "")),
        )

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at, "attempt": self.attempt, "error": self.error, "trace": self.trace}


class JobProgress(BaseModel):
    """A progress report (the seeds' ``JobProgress``); ``percent`` is computed from the counts."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    phase: str = ""
    current: int = Field(default=0, ge=0)
    total: int = Field(default=0, ge=0)
    percent: float = 0.0
    message: str = ""

    @model_validator(mode="after")
    def _compute_percent(self) -> JobProgress:
        if self.total > 0:
            object.__setattr__(self, "percent", round(100.0 * self.current / self.total, 2))
        return self


@dataclass(frozen=True, slots=True)
class Job(Generic[A]):
    """One job. ``args`` is the raw JSON object, or the kind's model when a worker gets it."""

    id: int
    kind: str
    args: A
    state: JobState
    queue: str
    priority: int
    attempt: int
    max_attempts: int
    created_at: datetime
    scheduled_at: datetime
    attempted_at: datetime | None
    finalized_at: datetime | None
    attempted_by: tuple[str, ...]
    errors: tuple[AttemptError, ...]
    metadata: Mapping[str, Any]
    tags: tuple[str, ...]
    unique_key: bytes | None
    unique_states: str | None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Job[dict[str, Any]]:
        """Build a job from a row read with :data:`~riverhost.db.queries.JOB_COLUMNS`."""
        (
            id_,
            state,
            attempt,
            max_attempts,
            attempted_at,
            created_at,
            finalized_at,
            scheduled_at,
            priority,
            args,
            attempted_by,
            errors,
            kind,
            metadata,
            queue,
            tags,
            unique_key,
            unique_states,
        ) = row[:18]
        return new_job(
            id_,
            kind,
            args,
            job_state(state),
            queue,
            priority,
            attempt,
            max_attempts,
            created_at,
            scheduled_at,
            attempted_at,
            finalized_at,
            tuple(attempted_by or ()),
            tuple(AttemptError.from_json(e) for e in errors) if errors else (),
            # Another client may have written a non-object: shown as the next write keeps it.
            metadata
            if type(metadata) is dict or isinstance(metadata, Mapping)
            else {ORIGINAL_METADATA_KEY: metadata},
            tuple(tags or ()),
            bytes(unique_key) if unique_key is not None else None,
            unique_states,
        )

    def _carrying(self, args: B) -> Job[B]:
        """This very job, carrying ``args`` (the validated model) instead of the raw object.

        In place, for the engine alone: it owns the job from the fetch until its worker gets
        it, and a copy of eighteen frozen fields cost more than a no-op job's validation.
        """
        object.__setattr__(self, "args", args)
        return cast("Job[B]", self)

    @property
    def output(self) -> Any:
        """What the worker recorded as output (River's ``metadata.output``), or ``None``."""
        return self.metadata.get(OUTPUT_KEY)

    @property
    def progress(self) -> JobProgress | None:
        """The latest progress report, or ``None`` if the job never reported one."""
        value = self.metadata.get(PROGRESS_KEY)
        return JobProgress.model_validate(value) if isinstance(value, Mapping) else None


class _UnfrozenJob(Generic[A]):
    """:class:`Job`'s fields in its order, as slots, less the frozen guard (see :func:`new_job`)."""

    __annotations__ = {f.name: f.type for f in fields(Job)}


_JobBuilder: Any = dataclass(slots=True)(_UnfrozenJob)


def new_job(*values: Any) -> Job[Any]:
    """A :class:`Job` of ``values``, in field order: what ``Job(*values)`` makes, five times
    faster.

    A frozen dataclass sets each field through ``object.__setattr__``; eighteen such calls
    were a sixteenth of a no-op job's engine time. The job is built as its unfrozen twin (the
    same slots in the same order) and then made a ``Job``, frozen from there on.
    """
    job = _JobBuilder(*values)
    job.__class__ = Job
    return cast("Job[Any]", job)


class InsertResult:
    """An inserted job, or with ``duplicate`` the existing job a unique insert ran into.

    A batch's results build their jobs when first read: the caller of a thousand-job batch
    who keeps a few results, or none, does not pay for a thousand jobs (their construction was
    two fifths of such a batch's client time). Read-only, like the job.
    """

    __slots__ = ("_build", "_duplicate", "_index", "_job")

    def __init__(self, job: Job[dict[str, Any]], duplicate: bool) -> None:
        self._job: Job[dict[str, Any]] | None = job
        self._build: Callable[[int], Job[dict[str, Any]]] | None = None
        self._index = 0
        self._duplicate = duplicate

    @classmethod
    def built_later(
        cls, build: Callable[[int], Job[dict[str, Any]]], index: int, duplicate: bool
    ) -> InsertResult:
        """A result whose job ``build(index)`` makes when :attr:`job` is first read (one
        ``build`` serves a whole batch)."""
        result = cls.__new__(cls)
        result._job, result._build, result._index, result._duplicate = None, build, index, duplicate
        return result

    @property
    def job(self) -> Job[dict[str, Any]]:
        job = self._job
        if job is None:
            build = cast("Callable[[int], Job[dict[str, Any]]]", self._build)
            job = self._job = build(self._index)
            self._build = None
        return job

    @property
    def duplicate(self) -> bool:
        return self._duplicate

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, InsertResult):
            return NotImplemented
        return (self.job, self.duplicate) == (other.job, other.duplicate)

    def __hash__(self) -> int:
        return hash((self.job, self.duplicate))

    def __repr__(self) -> str:
        return f"InsertResult(job={self.job!r}, duplicate={self.duplicate!r})"


@dataclass(frozen=True, slots=True)
class JobPage:
    """One page of a job listing; pass ``cursor`` as ``after`` to get the next page."""

    jobs: list[Job[dict[str, Any]]]
    cursor: int | None


@dataclass(frozen=True, slots=True)
class QueueInfo:
    """A queue as the fleet sees it: paused or not, and its unfinished jobs per state.

    ``unserved`` counts waiting jobs by kind that no live host has a plugin for; ``served``
    says whether some live host fetches from the queue at all (its jobs wait until one does).
    """

    name: str
    paused_at: datetime | None
    updated_at: datetime | None
    counts: Mapping[str, int]
    unserved: Mapping[str, int]
    served: bool = True
