"""riverhost_sonarr: the ``sonarr`` plugin (Sonarr library sync and webhook intake).

The hooks are in :mod:`riverhost_sonarr.plugin`, the kinds in :mod:`riverhost_sonarr.jobs`, the
Sonarr client in :mod:`riverhost_sonarr.client`, the webhook bodies in
:mod:`riverhost_sonarr.events` and the sync in :mod:`riverhost_sonarr.sync`; the TV tables are
written through :mod:`riverhost_tvshow.repository`. What Radarr and Sonarr share is
:mod:`riverhost_media.arr`'s.
"""

from __future__ import annotations

__all__: list[str] = []
