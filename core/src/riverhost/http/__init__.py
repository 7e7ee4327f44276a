"""The HTTP server: admin API, dashboard, plugin webhook routes, health and metrics.

One FastAPI application (:func:`~riverhost.http.app.create_app`) served by uvicorn
(:class:`~riverhost.http.server.HttpServer`), started by ``riverhost run`` when ``http.listen``
is set (once per host) or alone by ``riverhost serve``. It sits above the engine: it reads and
changes jobs through the client, and never runs one.

- ``app.py``: the application, its shared state and error mapping;
- ``auth.py``: bearer tokens (and the dashboard's cookie), the loopback rule;
- ``admin.py``: ``/api/v1/admin``: jobs, queues, plugins, kinds, hosts, activity;
- ``events.py``: the fleet's job outcomes and progress as server-sent events;
- ``webhooks.py``: plugins' routes under ``/api/v1/webhooks``;
- ``health.py``: ``/healthz``, ``/readyz``, ``/metrics``;
- ``dashboard.py`` with ``templates/`` and ``static/``: the pages at ``/``;
- ``server.py``: uvicorn as a host service.
"""

from __future__ import annotations

from riverhost.http.server import HttpServer, check_listen

__all__ = ["HttpServer", "check_listen"]
