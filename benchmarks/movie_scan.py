"""``python -m benchmarks.movie_scan [--files N]`` = ``benchmarks.media_scan --plugin movie``."""

from __future__ import annotations

import sys

from benchmarks.media_scan import main

if __name__ == "__main__":
    main(["--plugin", "movie", *sys.argv[1:]])
