"""riverhost_movie: the ``movie`` plugin (library scan, TMDb metadata, file match, search).

The hooks are in :mod:`riverhost_movie.plugin`, the kinds in :mod:`riverhost_movie.jobs`, the
tables (schema ``movie``) in :mod:`riverhost_movie.repository` and the search query the plugin
offers in :mod:`riverhost_movie.search` (:func:`~riverhost_movie.search.search_movies`).
"""

from __future__ import annotations

__all__: list[str] = []
