"""Every error class of riverhost_media: TMDb and Typesense requests and answers, ffprobe,
names, matches.

Each class carries the values a caller needs as attributes and says in its message what went
wrong and where (the request, the file). Nothing here does I/O.
"""

from __future__ import annotations

__all__ = [
    "FfprobeNotFoundError",
    "MediaError",
    "ProbeError",
    "ProbeFileMissingError",
    "TmdbError",
    "TmdbNotConfiguredError",
    "TmdbResponseError",
    "TmdbStatusError",
    "TmdbTransportError",
    "TypesenseError",
    "TypesenseStatusError",
    "TypesenseTransportError",
    "UnmatchedError",
]


class MediaError(Exception):
    """Base of every error riverhost_media raises."""


class TmdbError(MediaError):
    """A TMDb request failed; ``request`` names it (``GET /movie/603?language=en-US``)."""

    def __init__(self, request: str, message: str) -> None:
        super().__init__(f"TMDb {request}: {message}")
        self.request = request


class TmdbNotConfiguredError(TmdbError):
    """No credentials: neither an api key nor a read access token was configured."""

    def __init__(self, request: str) -> None:
        super().__init__(
            request,
            "no TMDb credentials configured; set tmdb.api_key (v3) or "
            "tmdb.read_access_token (v4 bearer) in the plugin's settings",
        )


class TmdbStatusError(TmdbError):
    """TMDb answered with an error status (after the retries, for 429 and 5xx)."""

    def __init__(
        self,
        request: str,
        status: int,
        *,
        tmdb_code: int | None = None,
        tmdb_message: str = "",
        attempts: int = 1,
    ) -> None:
        detail = f" (status_code {tmdb_code}: {tmdb_message})" if tmdb_code is not None else ""
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        super().__init__(request, f"answered HTTP {status}{detail}{tries}")
        self.status = status
        self.tmdb_code = tmdb_code
        self.tmdb_message = tmdb_message
        self.attempts = attempts

    @property
    def retryable(self) -> bool:
        """Whether the status is one worth retrying (429, 5xx)."""
        return self.status == 429 or self.status >= 500


class TmdbTransportError(TmdbError):
    """The request never got an answer (connection refused, timeout, protocol error)."""

    def __init__(self, request: str, cause: BaseException) -> None:
        super().__init__(request, f"no answer: {type(cause).__name__}: {cause}")
        self.cause = cause


class TmdbResponseError(TmdbError):
    """TMDb answered 200 with a body that does not fit the model: names every bad field."""

    def __init__(self, request: str, model: str, problems: list[str]) -> None:
        listed = "; ".join(problems)
        super().__init__(request, f"the answer does not fit {model}: {listed}")
        self.model = model
        self.problems = problems


class TypesenseError(MediaError):
    """A Typesense request failed; ``request`` names it (``POST /collections/movies/...``)."""

    def __init__(self, request: str, message: str) -> None:
        super().__init__(f"Typesense {request}: {message}")
        self.request = request

    @property
    def retryable(self) -> bool:
        """Whether another attempt may succeed (the server down or overloaded)."""
        return True


class TypesenseStatusError(TypesenseError):
    """Typesense answered an error status (after the client's retries, for 5xx)."""

    def __init__(self, request: str, status: int, message: str) -> None:
        detail = f": {message}" if message else ""
        super().__init__(request, f"answered HTTP {status}{detail}")
        self.status = status
        self.typesense_message = message

    @property
    def retryable(self) -> bool:
        """5xx, 408 and 429 are worth retrying; 401/403 too (a key being rotated)."""
        return self.status >= 500 or self.status in (401, 403, 408, 429)


class TypesenseTransportError(TypesenseError):
    """The request never got an answer (connection refused, timeout)."""

    def __init__(self, request: str, cause: BaseException) -> None:
        super().__init__(request, f"no answer: {type(cause).__name__}: {cause}")
        self.cause = cause


class ProbeError(MediaError):
    """ffprobe could not read a file; ``path`` names it."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"ffprobe {path}: {message}")
        self.path = path


class ProbeFileMissingError(ProbeError):
    """The file to probe does not exist (deleted since it was found, or a wrong path)."""

    def __init__(self, path: str) -> None:
        super().__init__(path, "no such file")


class FfprobeNotFoundError(ProbeError):
    """The ``ffprobe`` program is not installed."""

    def __init__(self, path: str) -> None:
        super().__init__(
            path, "the ffprobe program is not on PATH; install it (Debian: apt-get install ffmpeg)"
        )


class UnmatchedError(MediaError):
    """No movie, series or episode fits a file's parsed name; the message says what was looked
    for. A media plugin's matcher raises it; a scan remembers the file as unmatched."""
