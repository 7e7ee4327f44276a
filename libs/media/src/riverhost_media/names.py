"""Release names: parsing with ``guessit``, sample detection, title normalisation and similarity.

:func:`parse_movie_path` reads a file's name (and, for what the name lacks, its folder's) into
a :class:`ParsedName` of plain JSON values (guessit's own values may be lists, babelfish
objects or dates). :func:`title_similarity` and :func:`match_score` are the seeds' matcher
(``movie/library_matcher.go``): normalised titles compared by Levenshtein ratio (rapidfuzz,
so it works on servers without ``pg_trgm``), weighted with the year. This module does no I/O.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from riverhost_media.errors import UnmatchedError

__all__ = [
    "ParsedEpisode",
    "ParsedName",
    "best_tmdb_hit",
    "looked_for",
    "match_score",
    "normalise_title",
    "parse_episode_path",
    "parse_movie_path",
    "title_similarity",
    "year_score",
]

_LEADING_ARTICLE = re.compile(r"^(the|a|an)\s+")
_NOT_WORD = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")
_SEASON_FOLDER = re.compile(r"^(?:season|series|staffel|saison|temporada)[ ._-]*(\d{1,3})$", re.I)
_SPECIALS_FOLDER = re.compile(r"^(?:specials?|extras?|season[ ._-]*0+)$", re.I)
_SAMPLE = re.compile(r"(^|[\W_])sample([\W_]|$)", re.IGNORECASE)


class ParsedName(BaseModel):
    """What a release name says; every value JSON-native."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str
    year: int | None = None
    edition: str | None = None
    screen_size: str | None = None
    source: str | None = None
    video_codec: str | None = None
    release_group: str | None = None
    is_sample: bool = False


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or None
    return str(value)


class ParsedEpisode(BaseModel):
    """What an episode file's name (and its folders) say; every value JSON-native.

    One of three numberings: ``season`` with ``episodes`` (``S01E02``, ``1x02``, several for a
    multi-episode file ``S01E01E02``; season 0 holds specials), ``air_date`` (a daily show),
    or ``episodes`` without a season (``absolute``: anime's absolute numbers).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str
    year: int | None = None
    season: int | None = None
    episodes: tuple[int, ...] = ()
    air_date: date | None = None
    episode_title: str | None = None
    screen_size: str | None = None
    source: str | None = None
    video_codec: str | None = None
    release_group: str | None = None
    is_sample: bool = False

    @property
    def absolute(self) -> bool:
        """Numbered from the series' start, without a season (anime)."""
        return self.season is None and self.air_date is None and bool(self.episodes)

    @property
    def numbered(self) -> bool:
        """Whether the name says which episode(s) the file holds at all."""
        return bool(self.episodes) or self.air_date is not None


def _ints(value: Any) -> list[int]:
    values = value if isinstance(value, list) else [value]
    return [each for each in values if isinstance(each, int) and not isinstance(each, bool)]


def _year(value: Any) -> int | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, int) and 1900 <= value <= 2100:
        return value
    return None


def _guess(name: str) -> dict[str, Any]:
    from guessit import guessit  # 0.3 s to import: only when a name is parsed

    return dict(guessit(name, {"type": "movie"}))


def parse_movie_path(path: str) -> ParsedName | None:
    """Parse a movie file's path; ``None`` when neither the name nor its folder gives a title.

    The file name decides; the folder's name fills a missing title or year
    (``Amélie (2001)/movie.mkv``). A sample (guessit's ``other: Sample``, or the word
    ``sample`` in the name) is flagged, not dropped: the caller decides.
    """
    name = os.path.basename(path)
    guessed = _guess(name)
    other = guessed.get("other")
    others = other if isinstance(other, list) else [other]
    is_sample = "Sample" in others or bool(_SAMPLE.search(os.path.splitext(name)[0]))
    title = _text(guessed.get("title"))
    year = _year(guessed.get("year"))
    if not title or year is None:
        folder = os.path.basename(os.path.dirname(path))
        if folder:
            from_folder = _guess(folder)
            title = title or _text(from_folder.get("title"))
            year = year if year is not None else _year(from_folder.get("year"))
    if not title:
        return None
    return ParsedName(
        title=title,
        year=year,
        edition=_text(guessed.get("edition")),
        screen_size=_text(guessed.get("screen_size")),
        source=_text(guessed.get("source")),
        video_codec=_text(guessed.get("video_codec")),
        release_group=_text(guessed.get("release_group")),
        is_sample=is_sample,
    )


def parse_episode_path(path: str) -> ParsedEpisode | None:
    """Parse an episode file's path; ``None`` when it names no series.

    guessit reads the file name with its two parent folders (``Show Name/Season 01/01.mkv``
    gets its title and season from them). A ``Season N`` folder supplies a missing season, a
    ``Specials`` folder season 0, and a folder ``Name (YYYY)`` the series' year.
    """
    parts = os.path.normpath(path).split(os.sep)
    name = parts[-1]
    guessed = dict(_guess_episode("/".join(parts[-3:])))
    title = _text(guessed.get("title"))
    if isinstance(guessed.get("title"), list):
        title = str(guessed["title"][0])
    if not title:
        return None
    seasons = _ints(guessed.get("season"))
    season = seasons[0] if seasons else None
    folders = parts[-3:-1]
    if season is None:
        for folder in reversed(folders):
            found = _SEASON_FOLDER.match(folder)
            if found:
                season = int(found.group(1))
                break
            if _SPECIALS_FOLDER.match(folder):
                season = 0
                break
    episodes = tuple(sorted(set(_ints(guessed.get("episode")))))
    aired = guessed.get("date")
    air_date = aired if isinstance(aired, date) else None
    if air_date is not None and not episodes:
        season = None  # a daily show: the date names the episode, not a season
    other = guessed.get("other")
    others = other if isinstance(other, list) else [other]
    is_sample = "Sample" in others or bool(_SAMPLE.search(os.path.splitext(name)[0]))
    return ParsedEpisode(
        title=title,
        year=_year(guessed.get("year")),
        season=season,
        episodes=episodes,
        air_date=air_date,
        episode_title=_text(guessed.get("episode_title")),
        screen_size=_text(guessed.get("screen_size")),
        source=_text(guessed.get("source")),
        video_codec=_text(guessed.get("video_codec")),
        release_group=_text(guessed.get("release_group")),
        is_sample=is_sample,
    )


def _guess_episode(name: str) -> dict[str, Any]:
    from guessit import guessit

    return dict(guessit(name, {"type": "episode"}))


def normalise_title(title: str) -> str:
    """Lower case, accents and punctuation dropped, a leading the/a/an dropped, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", title.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    plain = _NOT_WORD.sub(" ", plain.replace("&", " and ")).replace("_", " ")
    plain = _SPACES.sub(" ", plain).strip()
    return _LEADING_ARTICLE.sub("", plain)


def title_similarity(a: str, b: str) -> float:
    """1 - Levenshtein distance / longer length, on normalised titles (0.0 … 1.0)."""
    from rapidfuzz.distance import Levenshtein

    return float(Levenshtein.normalized_similarity(normalise_title(a), normalise_title(b)))


def year_score(a: int | None, b: int | None) -> float | None:
    """1.0 for the same year, 0.5 one year apart, else 0.0; ``None`` when either is unknown."""
    if a is None or b is None:
        return None
    gap = abs(a - b)
    return 1.0 if gap == 0 else 0.5 if gap == 1 else 0.0


def match_score(
    title: str, year: int | None, candidate_titles: list[str], candidate_year: int | None
) -> float:
    """The seeds' score: best title similarity x 0.6 + year score x 0.4 (title alone without
    both years)."""
    similarity = max(
        (title_similarity(title, each) for each in candidate_titles if each), default=0.0
    )
    years = year_score(year, candidate_year)
    if years is None:
        return similarity
    return similarity * 0.6 + years * 0.4


def looked_for(title: str, year: int | None) -> str:
    """A parsed title (and year) as an unmatched file's reason names it."""
    return f"{title!r}" + (f" ({year})" if year else "")


class TmdbHit(Protocol):
    """A TMDb search result: a movie's or a series'."""

    @property
    def year(self) -> int | None: ...
    @property
    def popularity(self) -> float: ...


H = TypeVar("H", bound=TmdbHit)


async def best_tmdb_hit(
    search: Callable[[int | None], Awaitable[Sequence[H]]],
    title: str,
    year: int | None,
    *,
    titles: Callable[[H], list[str]],
    what: str,
    describe: Callable[[H], str],
    threshold: float,
) -> tuple[float, H]:
    """TMDb's best result for a parsed title and its score: ``search`` (given the year, then,
    when that finds nothing, None) ranked by :func:`match_score` on ``titles``, the more
    popular first on a tie. :class:`UnmatchedError` names the ``what`` (movie, series) when
    TMDb finds nothing or the best (as ``describe`` says it) scores below ``threshold``."""
    hits = await search(year)
    if not hits and year is not None:
        hits = await search(None)
    wanted = looked_for(title, year)
    if not hits:
        raise UnmatchedError(f"TMDb knows no {what} called {wanted}")
    ranked = [(match_score(title, year, titles(hit), hit.year), hit) for hit in hits]
    score, best = max(ranked, key=lambda pair: (pair[0], pair[1].popularity))
    if score < threshold:
        raise UnmatchedError(
            f"no TMDb {what} close to {wanted}: the best, {describe(best)}, "
            f"scores {score:.2f} < {threshold}"
        )
    return score, best
