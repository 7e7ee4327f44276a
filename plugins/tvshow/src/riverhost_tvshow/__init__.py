"""riverhost_tvshow: the TV show plugin (library scan, metadata and series refresh, file match,
search index), on TMDb and the shared media library :mod:`riverhost_media`.

The entry point is :mod:`riverhost_tvshow.plugin`; tables live in schema ``tvshow``.
"""

from __future__ import annotations

__all__: list[str] = []
