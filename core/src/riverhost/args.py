"""Job args and insert options: what a caller hands to the client to create a job.

A job's args are a pydantic model deriving from :class:`JobArgs`; the class names its kind and
may carry default :class:`InsertOpts`, the way River's ``Kind()`` and ``InsertOpts()`` do. Options
given at insert time win over the class's, which win over the registered kind's declaration,
which win over the host's defaults (:func:`resolve_opts`). This module does no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from riverhost.kinds import QUEUE_PATTERN, UniqueOpts, kind_problem

if TYPE_CHECKING:
    from riverhost.kinds import JobKind

__all__ = ["InsertOpts", "JobArgs", "RawArgs", "ResolvedOpts", "resolve_opts"]

#: River's rule for tags (``insert_opts.go``).
TAG_PATTERN = r"^\w[\w\-]*\w$|^\w$"


class InsertOpts(BaseModel):
    """How one job is inserted; ``None`` means "take it from the next layer down".

    ``scheduled_at`` in the future makes the job ``scheduled``; ``pending`` makes it ``pending``
    (never fetched until someone moves it).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    queue: str | None = Field(default=None, max_length=64, pattern=QUEUE_PATTERN)
    priority: int | None = Field(default=None, ge=1, le=4)
    max_attempts: int | None = Field(default=None, ge=1, le=32_767)
    scheduled_at: datetime | None = None
    tags: tuple[str, ...] | None = None
    metadata: Mapping[str, Any] | None = None
    unique: UniqueOpts | None = None
    pending: bool = False

    @field_validator("tags")
    @classmethod
    def _valid_tags(cls, tags: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for tag in tags or ():
            if len(tag) > 255 or not re.fullmatch(TAG_PATTERN, tag):
                raise ValueError(
                    f"tag {tag!r} must be letters, digits, '_' and '-' (not first or last), "
                    "at most 255 characters (River's rule)"
                )
        return tags

    @field_validator("scheduled_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must be timezone-aware (a naive time has no fixed moment)")
        return value


class JobArgs(BaseModel):
    """Base of every job's args model: set ``kind`` and, optionally, ``insert_opts``.

    ::

        class LibraryScanArgs(JobArgs):
            kind: ClassVar[str] = "movie_library_scan"
            insert_opts: ClassVar[InsertOpts] = InsertOpts(queue="bulk")

            library_id: UUID
            force: bool = False
    """

    # JSON has no NaN or infinity: refuse them here, or pydantic would write them as null.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    kind: ClassVar[str] = ""
    insert_opts: ClassVar[InsertOpts] = InsertOpts()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind and (problem := kind_problem(cls.kind)) is not None:
            raise TypeError(f"{cls.__qualname__}.kind: {problem}")

    def to_json(self) -> dict[str, Any]:
        """The args as the JSON object stored in ``river_job.args``."""
        return self.model_dump(mode="json", by_alias=True)

    def to_json_text(self) -> str:
        """:meth:`to_json` already encoded, as ``model_dump_json(by_alias=True)`` would, but
        straight from the model's core serializer: the insert paths call this once per job,
        and the wrapper's keyword handling costs twice the encoding itself."""
        return self.__pydantic_serializer__.to_json(self, by_alias=True).decode()


_NO_OPTS = InsertOpts()
"""Options that leave every choice to the layers below; frozen, so all args can share it."""


@dataclass(frozen=True)
class RawArgs:
    """Args given as a kind and a JSON object, for callers without the args model (CLI, tests).

    Without options of their own they share one :class:`InsertOpts`, so a batch of them
    resolves its options once and goes in as jobs alike (see ``queries.INSERT_ALIKE``).
    """

    kind: str
    args: Mapping[str, Any]
    insert_opts: InsertOpts = _NO_OPTS

    def to_json(self) -> dict[str, Any]:
        return dict(self.args)

    def to_json_text(self) -> str:
        try:
            return json.dumps(self.args, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except ValueError as exc:  # NaN or infinity: JSON cannot carry them
            raise ValueError(f"args of kind {self.kind!r} cannot be stored as JSON: {exc}") from exc


@dataclass(frozen=True)
class ResolvedOpts:
    """Every insert option with its final value."""

    queue: str
    priority: int
    max_attempts: int
    scheduled_at: datetime | None
    tags: tuple[str, ...]
    metadata: Mapping[str, Any]
    unique: UniqueOpts | None
    pending: bool


def resolve_opts(
    opts: InsertOpts | None,
    args_opts: InsertOpts,
    declared: JobKind | None,
    *,
    default_max_attempts: int,
) -> ResolvedOpts:
    """Merge the layers: insert-time options, the args class's, the declared kind's, defaults."""
    layers = [o for o in (opts, args_opts) if o is not None]

    def first(name: str) -> Any:
        for layer in layers:
            value = getattr(layer, name)
            if value is not None:
                return value
        return None

    queue = first("queue") or (declared.queue if declared else "default")
    priority = first("priority") or (declared.priority if declared else 1)
    attempts = first("max_attempts") or (declared.max_attempts if declared else None)
    unique = first("unique") or (declared.unique if declared else None)
    return ResolvedOpts(
        queue=queue,
        priority=priority,
        max_attempts=attempts or default_max_attempts,
        scheduled_at=first("scheduled_at"),
        tags=first("tags") or (),
        metadata=dict(first("metadata") or {}),
        unique=unique,
        pending=any(layer.pending for layer in layers),
    )
