"""What the *arr integrations (the ``radarr`` and ``sonarr`` plugins) share.

Radarr and Sonarr come from one code base (facts in ``shared/reference/media-apis.md`` §0):
the same API v3 conventions, the same webhook transport, the same media info. So this module
holds, once:

- :class:`ArrClient`: one ``httpx.AsyncClient`` on ``{base_url}/api/v3`` with ``X-Api-Key``,
  an ``aiolimiter`` budget and ``stamina`` retries of 5xx answers and transport errors; every
  failure an :class:`ArrError` naming the app, the request and, for an answer, its status
  (404: :class:`ArrNotFoundError`, the item is gone, not worth a retry);
- the models both APIs share (images, quality, media info) and :func:`service_file`, a file
  with its media facts in the content plugins' columns;
- :class:`ArrSettings`, the ``plugins.radarr`` / ``plugins.sonarr`` section;
- the webhook bodies both send (health, update, manual interaction, grab, any later type),
  :func:`event_tag` for a union by ``eventType`` and :func:`record_event`, what a worker does
  with an event that syncs nothing;
- the sync's bookkeeping: :func:`sync_each` (one item at a time, errors listed, progress per
  item) and :func:`sync_output`;
- the kinds' args bases and workers (:func:`sync_worker`, :func:`webhook_worker`) and the
  plugins' hooks (:class:`ArrHooks`).
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from typing import Any, ClassVar, Generic, Literal, Self, TypeVar

import httpx
import psycopg
import stamina
from aiolimiter import AsyncLimiter
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    SecretStr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from riverhost import (
    AdminAction,
    Duration,
    InsertOpts,
    Job,
    JobArgs,
    JobCancel,
    JobContext,
    JobKind,
    PeriodicJob,
    UniqueOpts,
    WebhookContext,
    WebhookRoute,
    hookimpl,
)
from riverhost_media.probe import resolution_label
from riverhost_media.rows import ServiceFile
from riverhost_media.settings import HttpUrl

__all__ = [
    "MAX_LISTED",
    "SYNC_OPTS",
    "WEBHOOK_OPTS",
    "ApplicationUpdateEvent",
    "ArrClient",
    "ArrError",
    "ArrHooks",
    "ArrModel",
    "ArrNotFoundError",
    "ArrParts",
    "ArrResources",
    "ArrResponseError",
    "ArrSettings",
    "ArrStatusError",
    "ArrSyncArgs",
    "ArrTransportError",
    "ArrWebhookArgs",
    "DownloadInfo",
    "Event",
    "EventRules",
    "GrabEvent",
    "HealthEvent",
    "Image",
    "Language",
    "ManualInteractionEvent",
    "MediaInfo",
    "OtherEvent",
    "Quality",
    "QualityDefinition",
    "Rating",
    "WebhookBody",
    "WebhookFile",
    "WebhookRelease",
    "event_tag",
    "image_path",
    "record_event",
    "require_client",
    "service_file",
    "stored",
    "sync_each",
    "sync_library",
    "sync_output",
    "sync_worker",
    "webhook_worker",
    "work_event",
]

MAX_LISTED = 50
"""Errors and removed ids listed in a sync's output (all are counted)."""


# ---------------------------------------------------------------------------------- errors


class ArrError(Exception):
    """A request to Radarr or Sonarr failed; ``request`` names it (``GET /api/v3/movie/1``)."""

    def __init__(self, app: str, request: str, message: str) -> None:
        super().__init__(f"{app} {request}: {message}")
        self.app = app
        self.request = request


class ArrStatusError(ArrError):
    """The app answered with an error status (after the retries, for 5xx)."""

    def __init__(
        self, app: str, request: str, status: int, *, detail: str = "", attempts: int = 1
    ) -> None:
        said = f" ({detail})" if detail else ""
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        hint = f" (check plugins.{app.lower()}.api_key)" if status in (401, 403) else ""
        super().__init__(app, request, f"answered HTTP {status}{said}{tries}{hint}")
        self.status = status
        self.detail = detail
        self.attempts = attempts


class ArrNotFoundError(ArrStatusError):
    """404: the app does not have the item (any more)."""

    def __init__(self, app: str, request: str) -> None:
        super().__init__(app, request, 404)


class ArrTransportError(ArrError):
    """The request never got an answer (connection refused, timeout, protocol error)."""

    def __init__(self, app: str, request: str, cause: BaseException, attempts: int = 1) -> None:
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        super().__init__(app, request, f"no answer{tries}: {type(cause).__name__}: {cause}")
        self.cause = cause


class ArrResponseError(ArrError):
    """The app answered 200 with a body that does not fit the model: names every bad field."""

    def __init__(self, app: str, request: str, problems: list[str]) -> None:
        super().__init__(app, request, "the answer does not fit: " + "; ".join(problems))
        self.problems = problems


class _Retryable(ArrStatusError):
    pass


# ---------------------------------------------------------------------------------- models


class ArrModel(BaseModel):
    """An API resource: camelCase, unknown fields ignored."""

    model_config = ConfigDict(
        extra="ignore", frozen=True, alias_generator=to_camel, populate_by_name=True
    )


class Language(ArrModel):
    id: int = 0
    name: str = ""


class Image(ArrModel):
    cover_type: str = ""
    url: str | None = None
    remote_url: str | None = None


class Rating(ArrModel):
    votes: int = 0
    value: float = 0.0


class QualityDefinition(ArrModel):
    id: int = 0
    name: str = ""
    source: str = ""
    resolution: int = 0


class Quality(ArrModel):
    quality: QualityDefinition = QualityDefinition()


class MediaInfo(ArrModel):
    audio_channels: float | None = None
    audio_codec: str | None = None
    video_bitrate: int | None = None
    video_codec: str | None = None
    video_fps: float | None = None
    resolution: str | None = None
    """``"1920x800"``."""
    run_time: str | None = None
    """``"2:16:18"``."""


def _size(resolution: str | None) -> tuple[int | None, int | None]:
    width, _, height = (resolution or "").partition("x")
    if width.isdigit() and height.isdigit():
        return int(width), int(height)
    return None, None


def _seconds(run_time: str | None) -> float | None:
    """``"2:16:18"`` -> 8178.0, ``"47:32"`` -> 2852.0."""
    parts = (run_time or "").split(":")
    if not 2 <= len(parts) <= 3 or not all(p.replace(".", "", 1).isdigit() for p in parts):
        return None
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    return seconds


def _channels(layout: float | None) -> int | None:
    """``5.1`` -> 6 channels, ``2.0`` -> 2."""
    if layout is None:
        return None
    whole = int(layout)
    return whole + round((layout - whole) * 10)


def service_file(
    file_id: int, path: str, size: int, quality: Quality, info: MediaInfo | None
) -> ServiceFile:
    """A file as the app describes it, with its media facts in the content plugins' columns."""
    width, height = _size(info.resolution if info else None)
    definition = quality.quality
    label = resolution_label(width, height) or (
        f"{definition.resolution}p" if definition.resolution else None
    )
    name = path.rsplit("/", 1)[-1]
    return ServiceFile(
        file_id=file_id,
        path=path,
        size=size,
        container=name.rsplit(".", 1)[-1].lower() if "." in name else None,
        resolution=label,
        width=width,
        height=height,
        video_codec=(info.video_codec or None) if info else None,
        audio_codec=(info.audio_codec or None) if info else None,
        audio_channels=_channels(info.audio_channels) if info else None,
        bitrate_kbps=info.video_bitrate // 1000 if info and info.video_bitrate else None,
        duration_seconds=_seconds(info.run_time) if info else None,
        framerate=(info.video_fps or None) if info else None,
        quality_profile=definition.name or None,
    )


_TMDB_IMAGE = re.compile(r"^https?://image\.tmdb\.org/t/p/[^/]+(/.+)$")


def image_path(images: Sequence[Image], cover_type: str) -> str | None:
    """A TMDb image as the content plugins store it (``/abc.jpg``), else the app's URL (the
    remote one first)."""
    for image in images:
        if image.cover_type == cover_type:
            url = image.remote_url or image.url
            if url and (match := _TMDB_IMAGE.match(url)):
                return match.group(1)
            return url
    return None


# ---------------------------------------------------------------------------------- settings


class ArrSettings(BaseModel):
    """``plugins.radarr`` / ``plugins.sonarr``. Every field has a default, so the plugin loads
    with an empty section; a sync then ends cancelled saying which key to set, and the webhook
    route is only served once ``webhook_secret`` is set."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: HttpUrl
    """The app's address; requests go to ``{base_url}/api/v3``."""
    api_key: SecretStr | None = None
    """Sent as ``X-Api-Key`` (Settings > General > Security)."""
    webhook_secret: SecretStr | None = None
    """What the app's webhook connection sends in ``X-Webhook-Secret`` (a custom header);
    unset: no webhook route is served."""
    sync_interval: Duration | None = None
    """A periodic full sync every interval; unset: on demand (admin trigger, webhooks) only."""
    requests_per_second: float = Field(default=10.0, gt=0)
    burst: int = Field(default=20, ge=1)
    max_attempts: int = Field(default=4, ge=1, le=20)
    """Tries per request on 5xx and transport errors."""
    retry_wait_max: Duration = timedelta(seconds=10)
    timeout: Duration = timedelta(seconds=30)

    @field_validator("sync_interval")
    @classmethod
    def _at_least_a_minute(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value < timedelta(minutes=1):
            raise ValueError(f"must be at least 1m, got {value}")
        return value


# ---------------------------------------------------------------------------------- client

M = TypeVar("M")


class ArrClient:
    """An *arr app's API v3 over one pooled ``httpx.AsyncClient``; ``async with``. Subclasses
    name the app (``app``) and add its endpoints."""

    app = "*arr"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        requests_per_second: float = 10.0,
        burst: int = 20,
        max_attempts: int = 4,
        retry_wait_max: float = 10.0,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/api/v3/",
            headers={"X-Api-Key": api_key, "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
        )
        self._limiter = AsyncLimiter(burst, burst / requests_per_second)
        self._max_attempts = max_attempts
        self._retry_wait_max = retry_wait_max
        self.requests = 0
        """HTTP requests sent so far, retries included."""

    @classmethod
    def from_settings(cls, settings: ArrSettings) -> Self:
        """A client as ``settings`` say (which must have an ``api_key``)."""
        assert settings.api_key is not None
        return cls(
            base_url=settings.base_url,
            api_key=settings.api_key.get_secret_value(),
            requests_per_second=settings.requests_per_second,
            burst=settings.burst,
            max_attempts=settings.max_attempts,
            retry_wait_max=settings.retry_wait_max.total_seconds(),
            timeout=settings.timeout.total_seconds(),
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def get(self, path: str, params: Mapping[str, str], model: TypeAdapter[M]) -> M:
        """GET ``path`` (under ``/api/v3``) and validate the answer into ``model``."""
        request = "GET " + str(httpx.URL("/api/v3/" + path.lstrip("/"), params=dict(params)))
        attempts = 0
        try:
            async for attempt in stamina.retry_context(
                on=(_Retryable, ArrTransportError),
                attempts=self._max_attempts,
                timeout=None,
                wait_initial=0.2,
                wait_max=self._retry_wait_max,
                name=self.app.lower(),
            ):
                with attempt:
                    attempts += 1
                    response = await self._send(request, path.lstrip("/"), params)
        except _Retryable as exc:
            raise ArrStatusError(
                self.app, request, exc.status, detail=exc.detail, attempts=attempts
            ) from exc
        except ArrTransportError as exc:
            raise ArrTransportError(self.app, request, exc.cause, attempts) from exc
        try:
            return model.validate_json(response.content)
        except ValidationError as exc:
            problems = [
                f"{'.'.join(str(part) for part in error['loc']) or 'body'}: {error['msg']}"
                for error in exc.errors()[:10]
            ]
            raise ArrResponseError(self.app, request, problems) from exc

    async def _send(self, request: str, path: str, params: Mapping[str, str]) -> httpx.Response:
        async with self._limiter:
            self.requests += 1
            try:
                response = await self._http.get(path, params=dict(params))
            except httpx.TransportError as exc:
                raise ArrTransportError(self.app, request, exc) from exc
        status = response.status_code
        if status == 200:
            return response
        if status == 404:
            raise ArrNotFoundError(self.app, request)
        detail = _message_of(response)
        if status >= 500:
            raise _Retryable(self.app, request, status, detail=detail)
        raise ArrStatusError(self.app, request, status, detail=detail)


def _message_of(response: httpx.Response) -> str:
    """The app's ``{"message": ...}`` (or a ProblemDetails ``title``), shortened."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        return str(body.get("message") or body.get("title") or "")[:200]
    return ""


C = TypeVar("C", bound=ArrClient)


@dataclass(frozen=True)
class ArrResources(Generic[C]):
    """``ctx.resources`` of an *arr plugin: its client, or None when ``api_key`` is not set."""

    client: C | None


def require_client(ctx: JobContext, app: str) -> Any:
    """The plugin's client, or :class:`JobCancel` saying what to set (no retry would help)."""
    resources: ArrResources[Any] = ctx.resources
    if resources.client is None:
        key = app.lower()
        raise JobCancel(
            f"{app} is not configured: set plugins.{key}.api_key "
            f"(RIVERHOST_PLUGINS__{key.upper()}__API_KEY) and plugins.{key}.base_url"
        )
    return resources.client


# ---------------------------------------------------------------------------------- webhooks


class WebhookBody(BaseModel):
    """A part of a webhook body: fields not modelled are kept as sent, never refused."""

    model_config = ConfigDict(extra="allow")


class WebhookFile(WebhookBody):
    """A file in a body (``movieFile``, ``episodeFile``, a ``deletedFiles`` item...)."""

    id: int
    path: str | None = None
    relativePath: str | None = None
    quality: str | None = None
    size: int | None = None


class WebhookRelease(WebhookBody):
    releaseTitle: str | None = None
    indexer: str | None = None
    quality: str | None = None
    size: int | None = None


class DownloadInfo(WebhookBody):
    title: str | None = None
    quality: str | None = None
    size: int | None = None


class Event(WebhookBody):
    """What every event carries besides its own fields."""

    instanceName: str | None = None
    applicationUrl: str | None = None


class GrabEvent(Event):
    """``Grab`` without its item (each app adds ``movie`` or ``series``)."""

    eventType: Literal["Grab"]
    release: WebhookRelease | None = None
    downloadClient: str | None = None
    downloadId: str | None = None


class ManualInteractionEvent(Event):
    """``ManualInteractionRequired`` without its item."""

    eventType: Literal["ManualInteractionRequired"]
    downloadInfo: DownloadInfo | None = None
    downloadStatus: str | None = None
    downloadStatusMessages: list[dict[str, Any]] = []
    downloadClient: str | None = None
    downloadId: str | None = None


class HealthEvent(Event):
    eventType: Literal["Health", "HealthRestored"]
    level: str
    message: str
    type: str | None = None
    wikiUrl: str | None = None


class ApplicationUpdateEvent(Event):
    eventType: Literal["ApplicationUpdate"]
    previousVersion: str
    newVersion: str
    message: str | None = None


class OtherEvent(Event):
    """An event type the app added after these models: accepted and recorded."""

    eventType: str = Field(min_length=1)


def event_tag(event_types: Sequence[str]) -> Callable[[Any], str]:
    """The discriminator of a union of event models tagged by ``eventType`` (``"Other"`` for
    a type not in ``event_types``)."""
    known = frozenset(event_types)

    def tag(body: Any) -> str:
        kind = body.get("eventType") if isinstance(body, dict) else getattr(body, "eventType", None)
        return kind if isinstance(kind, str) and kind in known else "Other"

    return tag


def record_event(event: Event, output: dict[str, Any], log: Any, prefix: str) -> dict[str, Any]:
    """What a webhook worker does with an event that syncs nothing: its facts in the job's
    output, and a log line (``{prefix}.grab``, ``.health``, ``.updated``...)."""
    if isinstance(event, GrabEvent):
        release = event.release.releaseTitle if event.release else None
        log.info(f"{prefix}.grab", release=release)
        return {**output, "release": release, "download_client": event.downloadClient}
    if isinstance(event, HealthEvent):
        level = "warning" if event.eventType == "Health" else "info"
        getattr(log, level)(f"{prefix}.health", level=event.level, message=event.message)
        return {**output, "level": event.level, "message": event.message, "wiki": event.wikiUrl}
    if isinstance(event, ApplicationUpdateEvent):
        log.info(f"{prefix}.updated", previous=event.previousVersion, new=event.newVersion)
        return {
            **output,
            "previous_version": event.previousVersion,
            "new_version": event.newVersion,
        }
    if isinstance(event, ManualInteractionEvent):
        download = event.downloadInfo.title if event.downloadInfo else None
        log.warning(f"{prefix}.manual_interaction", status=event.downloadStatus, download=download)
        return {**output, "download_status": event.downloadStatus, "download": download}
    log.info(f"{prefix}.event_recorded")
    return output


def stored(event: BaseModel) -> dict[str, Any]:
    """A validated body as sent (fields not modelled included), for a job's ``payload``."""
    body: dict[str, Any] = event.model_dump(mode="json", exclude_unset=True)
    return body


@dataclass(frozen=True)
class EventRules:
    """How one app's webhook worker treats its events (see :func:`work_event`)."""

    app: str
    """``"Radarr"``."""
    item: str
    """The body's field naming the item: ``"movie"``, ``"series"``."""
    id_key: str
    """The output's key for the app's id of the item: ``"radarr_movie_id"``."""
    syncing: tuple[type[Event], ...]
    """The events that sync their item."""
    deleting: type[Event]
    """The event that says the app deleted the item (``MovieDelete``, ``SeriesDelete``)."""


async def work_event(
    ctx: JobContext,
    event: Event,
    rules: EventRules,
    sync_one: Callable[[int], Awaitable[dict[str, Any]]],
    unlink: Callable[..., Awaitable[bool]],
) -> dict[str, Any]:
    """A webhook worker: an event of ``rules.syncing`` syncs its item (``sync_one(id)``); when
    the app no longer has the item, the delete event unlinks it (``unlink(conn, id, *,
    files_deleted)``) and any other ends the job cancelled with the reason (no retry would
    help). Other events are recorded (:func:`record_event`)."""
    kind = str(getattr(event, "eventType", ""))
    item = getattr(event, rules.item, None)
    prefix = rules.app.lower()
    output: dict[str, Any] = {"event": kind}
    if item is not None:
        output.update({rules.id_key: item.id, "title": item.title})
    log = ctx.log.bind(event=kind, **{rules.id_key: item.id if item else None})
    if not isinstance(event, rules.syncing) or item is None:
        return record_event(event, output, log, prefix)
    try:
        output["sync"] = await sync_one(item.id)
    except ArrNotFoundError as exc:
        if not isinstance(event, rules.deleting):
            raise JobCancel(
                f"{rules.app} no longer has {rules.item} {item.id} ({item.title}); "
                f"the {kind} event was not applied: {exc}"
            ) from exc
        files_deleted = bool(getattr(event, "deletedFiles", False))
        async with ctx.transaction() as conn:
            unlinked = await unlink(conn, item.id, files_deleted=files_deleted)
        output.update(unlinked=unlinked, files_deleted=files_deleted)
    log.info(f"{prefix}.event_applied")
    return output


# ---------------------------------------------------------------------------------- sync

T = TypeVar("T")


async def sync_each(
    ctx: JobContext,
    items: Sequence[T],
    write: Callable[[T], Awaitable[object]],
    name: Callable[[T], str],
    counts: Counter[str],
    prefix: str,
) -> list[str]:
    """Write each item (``write`` has a transaction of its own): one failing is counted and
    listed, the others still land; progress after each. Returns the errors."""
    errors: list[str] = []
    for n, item in enumerate(items, 1):
        ctx.raise_if_cancelled()
        try:
            await write(item)
        except (ArrError, psycopg.Error) as exc:
            counts["errors"] += 1
            errors.append(f"{name(item)}: {exc}")
            ctx.log.warning(f"{prefix}.sync_item_failed", item=name(item), error=str(exc))
        ctx.report_progress("syncing", n, len(items), name(item))
    return errors


def sync_output(
    operation: str, counts: Counter[str], errors: list[str], groups: Sequence[str]
) -> dict[str, Any]:
    """A sync's output: the top items added/updated/unchanged, then per group (``files``,
    ``episodes``...) its ``{group}_{added,updated,unchanged,removed}`` counts, then errors."""
    output: dict[str, Any] = {
        "operation": operation,
        "added": counts["added"],
        "updated": counts["updated"],
        "unchanged": counts["unchanged"],
    }
    for group in groups:
        output[group] = {
            key: counts[f"{group}_{key}"] for key in ("added", "updated", "unchanged", "removed")
        }
    output.update(errors=errors[:MAX_LISTED], error_count=counts["errors"])
    return output


async def sync_library(
    ctx: JobContext,
    app: str,
    items: Sequence[T],
    linked: set[int],
    *,
    id_of: Callable[[T], int],
    has_files: Callable[[T], bool],
    name: Callable[[T], str],
    write: Callable[[T, Counter[str]], Awaitable[object]],
    groups: Sequence[str],
) -> dict[str, Any]:
    """A full sync: every item with files, and every one already linked here (so files the
    app lost are marked deleted); the linked ones the app no longer has are counted removed
    (the rows stay). ``write(item, counts)`` writes one item in its own transaction."""
    wanted = [item for item in items if has_files(item) or id_of(item) in linked]
    counts: Counter[str] = Counter()
    prefix = app.lower()
    errors = await sync_each(ctx, wanted, lambda item: write(item, counts), name, counts, prefix)
    removed = sorted(linked - {id_of(item) for item in items})
    if removed:
        ctx.log.info(f"{prefix}.removed", count=len(removed), ids=removed[:MAX_LISTED])
    output = sync_output("full", counts, errors, groups)
    output.update(
        {
            "total": len(items),
            "skipped": len(items) - len(wanted),
            "removed": len(removed),
            f"removed_{prefix}_ids": removed[:MAX_LISTED],
        }
    )
    return output


# ---------------------------------------------------------------------------------- kinds

SYNC_OPTS = InsertOpts(
    queue="high", max_attempts=5, unique=UniqueOpts(by_args=True, by_period=timedelta(minutes=5))
)
WEBHOOK_OPTS = InsertOpts(queue="high", max_attempts=5)


class ArrSyncArgs(JobArgs):
    """``{app}_sync``: the whole library (``full``) or one item (``single``, named by the
    subclass's ``item_field``, Go's omitempty: 0 means none)."""

    item_field: ClassVar[str] = ""
    insert_opts: ClassVar[InsertOpts] = SYNC_OPTS

    operation: Literal["full", "single"] = "full"

    def item_id(self) -> int:
        value: int = getattr(self, self.item_field)
        return value

    @model_validator(mode="after")
    def _single_names_an_item(self) -> Self:
        if self.operation == "single" and self.item_id() <= 0:
            raise ValueError(f"a single sync needs {self.item_field}")
        return self


class ArrWebhookArgs(JobArgs):
    """``{app}_webhook``: one webhook body as the app sent it."""

    insert_opts: ClassVar[InsertOpts] = WEBHOOK_OPTS

    payload: dict[str, Any]


Sync = Callable[[Any, JobContext, int], Awaitable[dict[str, Any]]]
"""``single_sync(client, ctx, item_id)``."""


def sync_worker(
    app: str, item: str, full: Callable[[Any, JobContext], Awaitable[dict[str, Any]]], single: Sync
) -> Callable[[Job[Any], JobContext], Awaitable[dict[str, Any]]]:
    """The ``{app}_sync`` worker: ``full(client, ctx)`` or ``single(client, ctx, id)``, a
    single sync cancelled ("Radarr has no movie 3") when the app does not have the item (no
    retry would help)."""

    async def work(job: Job[Any], ctx: JobContext) -> dict[str, Any]:
        client = require_client(ctx, app)
        args: ArrSyncArgs = job.args
        if args.operation == "full":
            output = await full(client, ctx)
        else:
            try:
                output = await single(client, ctx, args.item_id())
            except ArrNotFoundError as exc:
                raise JobCancel(f"{app} has no {item} {args.item_id()}: {exc}") from exc
        ints = {k: v for k, v in output.items() if isinstance(v, int)}
        ctx.log.info(f"{app.lower()}.synced", **ints)
        return output

    return work


def webhook_worker(
    rules: EventRules,
    parse: Callable[[dict[str, Any]], Event],
    single: Sync,
    unlink: Callable[..., Awaitable[bool]],
) -> Callable[[Job[Any], JobContext], Awaitable[dict[str, Any]]]:
    """The ``{app}_webhook`` worker (:func:`work_event`); a stored payload that no longer
    validates is cancelled."""

    async def work(job: Job[Any], ctx: JobContext) -> dict[str, Any]:
        try:
            event = parse(job.args.payload)
        except ValidationError as exc:
            raise JobCancel(f"the payload is not a {rules.app} webhook body: {exc}") from exc

        async def sync_one(item_id: int) -> dict[str, Any]:
            return await single(require_client(ctx, rules.app), ctx, item_id)

        return await work_event(ctx, event, rules, sync_one, unlink)

    return work


# ---------------------------------------------------------------------------------- hooks


@dataclass(frozen=True)
class ArrParts:
    """What an *arr plugin's hooks declare (imported when a hook runs, not with the plugin)."""

    sync_args: type[ArrSyncArgs]
    sync: Callable[..., Any]
    webhook_args: type[ArrWebhookArgs]
    webhook: Callable[..., Any]
    client: type[ArrClient]
    body: type[RootModel[Any]]


class ArrHooks:
    """The hooks of an *arr plugin. Its plugin module binds them by their hook names
    (``riverhost_job_kinds = hooks.riverhost_job_kinds``...); ``parts`` imports the heavy
    modules when a hook first needs them.

    Kinds ``{app}_sync`` (high, 10m, 5 attempts, unique by args for 5m) and
    ``{app}_webhook`` (high, 1m, 5 attempts); a periodic full sync when ``sync_interval`` is
    set; the client as the plugin's resource when ``api_key`` is set; ``POST
    /api/v1/webhooks/{app}`` when ``webhook_secret`` is set (``Test`` answered 202 with nothing
    to work); ``POST /api/v1/admin/integrations/{app}/sync``.
    """

    def __init__(
        self, app: str, item: str, settings: type[ArrSettings], parts: Callable[[], ArrParts]
    ) -> None:
        self.app = app
        self.name = app.lower()
        self.item = item
        self.settings = settings
        self.parts = parts

    @hookimpl
    def riverhost_settings_model(self) -> type[BaseModel]:
        return self.settings

    @hookimpl
    def riverhost_job_kinds(self, settings: ArrSettings) -> list[JobKind]:
        parts = self.parts()
        return [
            JobKind(
                kind=parts.sync_args.kind,
                args=parts.sync_args,
                worker=parts.sync,
                queue="high",
                timeout=timedelta(minutes=10),
                max_attempts=5,
                unique=SYNC_OPTS.unique,
                description=f"sync {self.app}'s library (full) or one {self.item} (single)",
            ),
            JobKind(
                kind=parts.webhook_args.kind,
                args=parts.webhook_args,
                worker=parts.webhook,
                queue="high",
                timeout=timedelta(minutes=1),
                max_attempts=5,
                description=f"work one {self.app} webhook event",
            ),
        ]

    @hookimpl
    def riverhost_periodic_jobs(self, settings: ArrSettings) -> list[PeriodicJob]:
        if settings.sync_interval is None:
            return []
        args = self.parts().sync_args(operation="full")
        return [PeriodicJob(id=f"{args.kind}:full", args=args, every=settings.sync_interval)]

    @hookimpl
    def riverhost_resources(
        self, settings: ArrSettings
    ) -> contextlib.AbstractAsyncContextManager[ArrResources[Any]]:
        client = self.parts().client

        @contextlib.asynccontextmanager
        async def resources() -> AsyncIterator[ArrResources[Any]]:
            if settings.api_key is None:
                yield ArrResources(client=None)
                return
            async with client.from_settings(settings) as opened:
                yield ArrResources(client=opened)

        return resources()

    @hookimpl
    def riverhost_webhook_routes(self, settings: ArrSettings) -> list[WebhookRoute]:
        if settings.webhook_secret is None:
            return []  # never an open door: no secret, no route
        parts = self.parts()

        async def intake(body: RootModel[Any], ctx: WebhookContext) -> JobArgs | None:
            if body.root.eventType == "Test":
                return None  # the settings page's Test button: 202, nothing to work
            return parts.webhook_args(payload=stored(body.root))

        summary = f"{self.app}'s webhook (Settings > Connect > Webhook, header X-Webhook-Secret)"
        return [
            WebhookRoute(
                path=self.name,
                payload=parts.body,
                handler=intake,
                secret=settings.webhook_secret,
                summary=summary,
            )
        ]

    @hookimpl
    def riverhost_admin_routes(self, settings: ArrSettings) -> list[AdminAction]:
        sync_args = self.parts().sync_args

        async def trigger(ctx: WebhookContext) -> JobArgs:
            return sync_args(operation="full")  # unique by args: the waiting or running one wins

        summary = f"Sync the whole {self.app} library"
        return [AdminAction(path=f"{self.name}/sync", handler=trigger, summary=summary)]
