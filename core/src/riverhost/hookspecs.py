"""The hooks a riverhost plugin may implement.

A plugin is a module (or object) named by an entry point in the ``riverhost.plugins`` group;
it implements any of the functions below, decorated with :data:`riverhost.hookimpl`. The host
calls each plugin's implementation on its own, so every kind, queue and migration is
attributed to the plugin that declared it, and a plugin's ``settings`` argument is its own
config section only. Implementations may take a subset of the arguments shown, so hooks can
grow new arguments without breaking plugins.

Example, in ``riverhost_movie/plugin.py``::

    from riverhost import JobKind, hookimpl

    @hookimpl
    def riverhost_job_kinds(settings):
        from riverhost_movie import jobs   # import heavy modules inside the hook
        return [JobKind(kind="movie_library_scan", args=jobs.LibraryScanArgs,
                        worker=jobs.library_scan, queue="bulk", timeout="30m")]
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from pydantic import BaseModel

    from riverhost.client import AsyncClient
    from riverhost.db.migrate import Migration
    from riverhost.events import Event
    from riverhost.kinds import JobKind, QueueSpec
    from riverhost.periodic import PeriodicJob
    from riverhost.webhooks import AdminAction, WebhookRoute

PROJECT = "riverhost"
hookspec = pluggy.HookspecMarker(PROJECT)


@hookspec(historic=True)
def riverhost_add_hookspecs(pluginmanager: pluggy.PluginManager) -> None:
    """Add hookspecs of this plugin's own, for other plugins to implement.

    Call ``pluginmanager.add_hookspecs(module)`` with a module of functions marked by a
    ``pluggy.HookspecMarker("riverhost")``; their names must start with ``riverhost_``. The host
    checks every other plugin's implementations against them, and the plugin calls them at run
    time through ``host.hook.<name>(...)``. Historic: a plugin registered later still gets it.

    :param pluginmanager: the host's pluggy manager.

    .. versionadded:: 0.1
    """


@hookspec
def riverhost_settings_model() -> type[BaseModel] | None:
    """Return the pydantic model of this plugin's config section, ``plugins.<name>``.

    The host validates that section against it at start, reporting every bad value with its
    key path, and passes the validated model as ``settings`` to the other hooks. Without this
    hook a plugin's section must be absent or empty.

    :returns: a pydantic model class whose fields all have defaults, or one that the operator
        must fill in.

    .. versionadded:: 0.1
    """


@hookspec
def riverhost_job_kinds(settings: BaseModel | None) -> Sequence[JobKind]:
    """Return the job kinds this plugin works.

    :param settings: this plugin's validated config section (``None`` without a settings
        model).
    :returns: one :class:`riverhost.JobKind` per kind. A kind must be unique across all enabled
        plugins and name a known queue (the config's queues plus every plugin's
        :func:`riverhost_queues`); otherwise the host refuses to start and says which plugins
        clash.

    .. versionadded:: 0.1
    """
    raise NotImplementedError


@hookspec
def riverhost_queues(settings: BaseModel | None) -> Sequence[QueueSpec]:
    """Return queues this plugin needs beyond the configured ones.

    A queue already in the config keeps the operator's worker count; two plugins may declare
    the same queue, and the larger worker count wins.

    :param settings: this plugin's validated config section.
    :returns: one :class:`riverhost.QueueSpec` per queue.

    .. versionadded:: 0.1
    """
    raise NotImplementedError


@hookspec
def riverhost_migrations() -> Sequence[Migration]:
    """Return this plugin's own database migrations, oldest first.

    They run with ``riverhost migrate`` after River's, tracked per plugin in
    ``riverhost_migration`` (never in River's tables, never mixed with another plugin's line).
    :func:`riverhost.migrations_from_package` reads them from ``NNN_name.sql`` files.

    :returns: :class:`riverhost.Migration` objects with versions 1, 2, 3, …

    .. versionadded:: 0.1
    """
    raise NotImplementedError


@hookspec
def riverhost_periodic_jobs(settings: BaseModel | None) -> Sequence[PeriodicJob]:
    """Return jobs to insert on a schedule: every interval, or at each time of a cron line.

    The leader inserts each one once per tick for the whole fleet. Each job's kind must be one
    this host registers; ids must be unique across plugins.

    :param settings: this plugin's validated config section.
    :returns: one :class:`riverhost.PeriodicJob` per schedule.

    .. versionadded:: 0.1
    """
    raise NotImplementedError


@hookspec
def riverhost_resources(
    settings: BaseModel | None,
    client: AsyncClient,
) -> AbstractAsyncContextManager[object] | AbstractContextManager[object] | None:
    """Return a context manager holding this plugin's long-lived resources.

    Entered by a running host before its first fetch, in plugin order; exited after the last
    attempt has ended on stop, in reverse order. What it yields is ``ctx.resources`` for this
    plugin's workers: an HTTP client, a search client, a pool, or an object holding several.
    A resource that raises on enter stops the host's start with an error naming the plugin
    (nothing is fetched); one that raises on exit is logged, and the others still close.
    One-shot commands (``plugins check``, ``jobs insert``) never call this hook.

    Example::

        @hookimpl
        def riverhost_resources(settings):
            @contextlib.asynccontextmanager
            async def tmdb():
                async with httpx.AsyncClient(base_url=settings.base_url) as http:
                    yield http
            return tmdb()

    :param settings: this plugin's validated config section.
    :param client: the workers' insert client (``ctx.client``), open on their pool: for checks
        against the database at start (``client.pool.connection()``), or for inserting jobs
        from outside a worker (a :func:`riverhost_event` implementation). Entered on the
        host's event loop.
    :returns: an async (or plain) context manager, or ``None`` for no resources.

    .. versionadded:: 0.2
    .. versionchanged:: 0.2 the ``client`` argument.
    """


@hookspec
def riverhost_webhook_routes(settings: BaseModel | None) -> Sequence[WebhookRoute]:
    """Return the webhook routes this plugin receives on the host's HTTP server.

    Each :class:`riverhost.WebhookRoute` is mounted at ``/api/v1/webhooks/<path>``; the server
    checks its ``X-Webhook-Secret``, validates the body against its payload model and calls its
    handler inside one transaction with the job it returns. Two plugins claiming one path is a
    registration error naming both; a disabled plugin's routes do not exist.

    Example::

        @hookimpl
        def riverhost_webhook_routes(settings):
            async def intake(payload, ctx):
                return WebhookArgs(payload=payload.model_dump())
            return [WebhookRoute(path="acme", payload=AcmeEvent, handler=intake,
                                 secret=settings.webhook_secret)]

    :param settings: this plugin's validated config section.
    :returns: one :class:`riverhost.WebhookRoute` per route.

    .. versionadded:: 0.2
    """
    raise NotImplementedError


@hookspec
def riverhost_admin_routes(settings: BaseModel | None) -> Sequence[AdminAction]:
    """Return actions operators trigger through the admin API, each inserting a job.

    Each :class:`riverhost.AdminAction` is ``POST /api/v1/admin/integrations/<path>`` behind
    the admin token (no body); its handler returns the job to insert in the request's
    transaction, recorded in the activity table as the token's, and the answer is ``202
    {"job_id": ..., "duplicate": ...}``: the job already waiting or running when its unique
    options find one. Two plugins claiming one path is a registration error naming both.

    Example::

        @hookimpl
        def riverhost_admin_routes(settings):
            async def sync(ctx):
                return SyncArgs(operation="full")
            return [AdminAction(path="acme/sync", handler=sync)]

    :param settings: this plugin's validated config section.
    :returns: one :class:`riverhost.AdminAction` per action.

    .. versionadded:: 0.2
    """
    raise NotImplementedError


@hookspec
def riverhost_event(event: Event) -> None:
    """Called for every job and queue event of this host process (see :mod:`riverhost.events`).

    Runs in a thread of its own, one event after another; an implementation that is slow only
    makes later events wait (and be dropped past a thousand waiting), never the engine. An
    exception is logged and delivery goes on.

    :param event: what happened: ``event.kind`` is ``job_completed``, ``job_failed``,
        ``job_cancelled``, ``job_snoozed``, ``job_discarded``, ``queue_paused`` or
        ``queue_resumed``.

    .. versionadded:: 0.1
    """
