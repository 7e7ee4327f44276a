"""The radarr plugin's settings: its ``plugins.radarr`` config section (the fields every *arr
integration has, :class:`~riverhost_media.arr.ArrSettings`, with Radarr's default address)."""

from __future__ import annotations

from riverhost_media.arr import ArrSettings
from riverhost_media.settings import HttpUrl

__all__ = ["RadarrSettings"]


class RadarrSettings(ArrSettings):
    """``plugins.radarr``."""

    base_url: HttpUrl = "http://localhost:7878"
