"""riverhost_media: what riverhost's media plugins share (a library, not a plugin).

The library walk (:mod:`riverhost_media.walk`), release-name parsing and title similarity
(:mod:`riverhost_media.names`), the async TMDb client (:mod:`riverhost_media.tmdb`), ffprobe
(:mod:`riverhost_media.probe`) and their errors (:mod:`riverhost_media.errors`); the statements a
scan runs on a plugin's file tables (:mod:`riverhost_media.files`) and the library scan itself,
which a plugin subclasses with its parsing, matching and recording (:mod:`riverhost_media.scan`);
an item's texts per language (:mod:`riverhost_media.translations`).
Plugins import from here; the submodules' other names are private.
"""

from __future__ import annotations

from riverhost_media.errors import (
    FfprobeNotFoundError,
    MediaError,
    ProbeError,
    ProbeFileMissingError,
    TmdbError,
    TmdbNotConfiguredError,
    TmdbResponseError,
    TmdbStatusError,
    TmdbTransportError,
    TypesenseError,
    TypesenseStatusError,
    TypesenseTransportError,
    UnmatchedError,
)
from riverhost_media.files import LibraryFiles
from riverhost_media.names import (
    ParsedEpisode,
    ParsedName,
    best_tmdb_hit,
    looked_for,
    match_score,
    normalise_title,
    parse_episode_path,
    parse_movie_path,
    title_similarity,
    year_score,
)
from riverhost_media.probe import ProbeResult, probe, resolution_label
from riverhost_media.scan import Examined, FileStore, MediaScanner
from riverhost_media.tmdb import (
    DEFAULT_BASE_URL,
    CastMember,
    ContentRatings,
    Credits,
    CrewMember,
    EpisodeDetails,
    ExternalIds,
    Genre,
    MovieDetails,
    Network,
    ReleaseDates,
    SearchMovieResult,
    SearchMovies,
    SearchTv,
    SearchTvResult,
    SeasonDetails,
    SeasonSummary,
    TmdbClient,
    TvDetails,
    normalise_language,
)
from riverhost_media.translations import Translation, genre_slug, i18n_column
from riverhost_media.walk import (
    DEFAULT_EXCLUDES,
    VIDEO_EXTENSIONS,
    WalkedFile,
    WalkOptions,
    WalkProblem,
    is_video,
    walk,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_EXCLUDES",
    "VIDEO_EXTENSIONS",
    "CastMember",
    "ContentRatings",
    "Credits",
    "CrewMember",
    "EpisodeDetails",
    "Examined",
    "ExternalIds",
    "FfprobeNotFoundError",
    "FileStore",
    "Genre",
    "LibraryFiles",
    "MediaError",
    "MediaScanner",
    "MovieDetails",
    "Network",
    "ParsedEpisode",
    "ParsedName",
    "ProbeError",
    "ProbeFileMissingError",
    "ProbeResult",
    "ReleaseDates",
    "SearchMovieResult",
    "SearchMovies",
    "SearchTv",
    "SearchTvResult",
    "SeasonDetails",
    "SeasonSummary",
    "TmdbClient",
    "TmdbError",
    "TmdbNotConfiguredError",
    "TmdbResponseError",
    "TmdbStatusError",
    "TmdbTransportError",
    "Translation",
    "TvDetails",
    "TypesenseError",
    "TypesenseStatusError",
    "TypesenseTransportError",
    "UnmatchedError",
    "WalkOptions",
    "WalkProblem",
    "WalkedFile",
    "best_tmdb_hit",
    "genre_slug",
    "i18n_column",
    "is_video",
    "looked_for",
    "match_score",
    "normalise_language",
    "normalise_title",
    "parse_episode_path",
    "parse_movie_path",
    "probe",
    "resolution_label",
    "title_similarity",
    "walk",
    "year_score",
]
