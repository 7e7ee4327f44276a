"""The radarr plugin's hooks: settings, the Radarr client, kinds, the periodic sync, the
webhook route and the admin trigger, as every *arr plugin has them
(:class:`riverhost_media.arr.ArrHooks`).

The workers and the client are imported when a hook first needs them (``_parts``). The movie
tables belong to the movie plugin (``riverhost-movie``, a dependency): its migrations create
them.
"""

from __future__ import annotations

from riverhost_media.arr import ArrHooks, ArrParts
from riverhost_radarr.settings import RadarrSettings


def _parts() -> ArrParts:
    from riverhost_radarr.jobs import PARTS

    return PARTS


hooks = ArrHooks("Radarr", "movie", RadarrSettings, _parts)
riverhost_settings_model = hooks.riverhost_settings_model
riverhost_job_kinds = hooks.riverhost_job_kinds
riverhost_periodic_jobs = hooks.riverhost_periodic_jobs
riverhost_resources = hooks.riverhost_resources
riverhost_webhook_routes = hooks.riverhost_webhook_routes
riverhost_admin_routes = hooks.riverhost_admin_routes
