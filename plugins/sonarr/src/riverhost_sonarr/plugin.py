"""The sonarr plugin's hooks: settings, the Sonarr client, kinds, the periodic sync, the
webhook route and the admin trigger, as every *arr plugin has them
(:class:`riverhost_media.arr.ArrHooks`).

The workers and the client are imported when a hook first needs them (``_parts``). The TV
tables belong to the tvshow plugin (``riverhost-tvshow``, a dependency): its migrations create
them.
"""

from __future__ import annotations

from riverhost_media.arr import ArrHooks, ArrParts
from riverhost_sonarr.settings import SonarrSettings


def _parts() -> ArrParts:
    from riverhost_sonarr.jobs import PARTS

    return PARTS


hooks = ArrHooks("Sonarr", "series", SonarrSettings, _parts)
riverhost_settings_model = hooks.riverhost_settings_model
riverhost_job_kinds = hooks.riverhost_job_kinds
riverhost_periodic_jobs = hooks.riverhost_periodic_jobs
riverhost_resources = hooks.riverhost_resources
riverhost_webhook_routes = hooks.riverhost_webhook_routes
riverhost_admin_routes = hooks.riverhost_admin_routes
