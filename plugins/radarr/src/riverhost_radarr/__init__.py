"""riverhost_radarr: the ``radarr`` plugin (Radarr library sync and webhook intake).

The hooks are in :mod:`riverhost_radarr.plugin`, the kinds in :mod:`riverhost_radarr.jobs`, the
Radarr client in :mod:`riverhost_radarr.client`, the webhook bodies in
:mod:`riverhost_radarr.events` and the sync in :mod:`riverhost_radarr.sync`; the movie tables
are written through :mod:`riverhost_movie.repository`.
"""

from __future__ import annotations

__all__: list[str] = []
