"""The client: insert jobs and read, cancel, retry and delete them, sync and async.

:class:`AsyncClient` and :class:`Client` have the same methods; the statement each method runs
and how its result is read are built once, by the modules of this package, so the two flavours
differ only in ``await``. Every method takes an optional ``conn``: the caller's own psycopg
connection, inside the caller's transaction, so a job exists only if that transaction commits.
Without it the client uses its pool, one statement per call.

A client built with a :class:`~riverhost.registry.Registry` fills insert options from the
declared kinds (queue, priority, attempts, uniqueness); one without knows only the args classes'
own options and the defaults, and can insert any kind.

The package, by concern: :mod:`.insert` (options, rows, unique keys, insert statements and
results), :mod:`.copy` (the COPY path), :mod:`.notices` (which inserts announce their queue),
:mod:`.listing` (:class:`JobFilter`, reading jobs), :mod:`.queues` (listing, pausing),
:mod:`.connect` (the first connection), and the shells :mod:`.aio` and :mod:`.sync`. Its SQL is
all in :mod:`riverhost.db.queries`. Import from here; the modules' ``_`` names are the
package's own.
"""

from __future__ import annotations

from riverhost.client.aio import AsyncClient
from riverhost.client.connect import CONNECT_TIMEOUT as CONNECT_TIMEOUT
from riverhost.client.insert import InsertParams
from riverhost.client.listing import JobFilter
from riverhost.client.notices import NOTICE_TRAIL, NOTICE_WINDOW
from riverhost.client.sync import Client

__all__ = ["NOTICE_TRAIL", "NOTICE_WINDOW", "AsyncClient", "Client", "InsertParams", "JobFilter"]
