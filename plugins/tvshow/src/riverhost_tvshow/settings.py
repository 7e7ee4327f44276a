"""The TV show plugin's settings: its ``plugins.tvshow`` config section.

The shape every media plugin shares (:class:`riverhost_media.settings.MediaSettings`:
libraries, TMDb access, the search backend, scan concurrency and batch size), under the TV
plugin's name.
"""

from __future__ import annotations

from riverhost_media.settings import LibrarySettings, MediaSettings, SearchSettings, TmdbSettings

__all__ = ["LibrarySettings", "SearchSettings", "TmdbSettings", "TvShowSettings"]


class TvShowSettings(MediaSettings):
    """``plugins.tvshow``."""
