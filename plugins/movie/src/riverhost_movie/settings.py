"""The movie plugin's settings: its ``plugins.movie`` config section.

The shape every media plugin shares (:class:`riverhost_media.settings.MediaSettings`:
libraries, TMDb access, the search backend, scan concurrency and batch size), under the
movie plugin's name.
"""

from __future__ import annotations

from riverhost_media.settings import LibrarySettings, MediaSettings, SearchSettings, TmdbSettings

__all__ = ["LibrarySettings", "MovieSettings", "SearchSettings", "TmdbSettings"]


class MovieSettings(MediaSettings):
    """``plugins.movie``."""
