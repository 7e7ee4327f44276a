"""An item's texts per language, as a media plugin's ``*_i18n`` columns store them.

A movie's or series' title, overview and tagline in each metadata language (TMDb's answer in
that language) are a :class:`Translation` each; :func:`i18n_column` turns one field of them
into the JSON a ``titles_i18n``, ``overviews_i18n`` or ``taglines_i18n`` column holds
(language -> text, languages without that text left out). :func:`genre_slug` is the key a
genre row is stored under.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from psycopg.types.json import Jsonb

from riverhost_media.names import normalise_title

__all__ = ["Translation", "genre_slug", "i18n_column"]


@dataclass(frozen=True)
class Translation:
    """A movie's or series' title (name), overview and tagline in one language."""

    title: str | None
    overview: str | None
    tagline: str | None


def i18n_column(
    translations: Mapping[str, Translation], field: Literal["title", "overview", "tagline"]
) -> Jsonb:
    """One field of the translations as an ``*_i18n`` column's JSON: language -> text."""
    values = {lang: getattr(tr, field) for lang, tr in translations.items()}
    return Jsonb({lang: value for lang, value in values.items() if value})


def genre_slug(name: str) -> str:
    """A genre's key: its normalised name, words joined by ``-`` (``Science Fiction`` ->
    ``science-fiction``)."""
    return re.sub(r"[^a-z0-9]+", "-", normalise_title(name)).strip("-") or "genre"
