"""riverhost: a plugin-based host for background jobs on PostgreSQL, on River's tables.

Plugins import from here only. A plugin is a module named by an entry point in the
``riverhost.plugins`` group that implements hooks (see :mod:`riverhost.hookspecs`) marked with
:data:`hookimpl`.
"""

from __future__ import annotations

import pluggy

from riverhost._version import __version__
from riverhost.args import InsertOpts, JobArgs, RawArgs
from riverhost.client import AsyncClient, Client, InsertParams, JobFilter
from riverhost.db.migrate import Migration, migrations_from_package
from riverhost.durations import Duration
from riverhost.errors import RegistryError, RiverhostError
from riverhost.events import Event
from riverhost.hookspecs import PROJECT
from riverhost.job import AttemptError, InsertResult, Job, JobPage, JobProgress
from riverhost.kinds import JobKind, JobState, QueueSpec, UniqueOpts
from riverhost.periodic import PeriodicJob
from riverhost.retry import ExponentialBackoff, LinearBackoff, RetryPolicy, RiverDefaultRetry
from riverhost.webhooks import AdminAction, WebhookContext, WebhookRoute
from riverhost.worker import JobCancel, JobCancelledError, JobContext, JobSnooze

hookimpl = pluggy.HookimplMarker(PROJECT)
"""Marks a function of a plugin as the implementation of a riverhost hook."""

__all__ = [
    "AdminAction",
    "AsyncClient",
    "AttemptError",
    "Client",
    "Duration",
    "Event",
    "ExponentialBackoff",
    "InsertOpts",
    "InsertParams",
    "InsertResult",
    "Job",
    "JobArgs",
    "JobCancel",
    "JobCancelledError",
    "JobContext",
    "JobFilter",
    "JobKind",
    "JobPage",
    "JobProgress",
    "JobSnooze",
    "JobState",
    "LinearBackoff",
    "Migration",
    "PeriodicJob",
    "QueueSpec",
    "RawArgs",
    "RegistryError",
    "RetryPolicy",
    "RiverDefaultRetry",
    "RiverhostError",
    "UniqueOpts",
    "WebhookContext",
    "WebhookRoute",
    "__version__",
    "hookimpl",
    "migrations_from_package",
]
