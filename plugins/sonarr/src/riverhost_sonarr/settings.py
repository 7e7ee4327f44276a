"""The sonarr plugin's settings: its ``plugins.sonarr`` config section (the fields every *arr
integration has, :class:`~riverhost_media.arr.ArrSettings`, with Sonarr's default address)."""

from __future__ import annotations

from riverhost_media.arr import ArrSettings
from riverhost_media.settings import HttpUrl

__all__ = ["SonarrSettings"]


class SonarrSettings(ArrSettings):
    """``plugins.sonarr``."""

    base_url: HttpUrl = "http://localhost:8989"
