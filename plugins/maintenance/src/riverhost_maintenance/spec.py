"""The hookspecs the maintenance plugin adds for other plugins to implement.

Implement them with ``@hookimpl(optionalhook=True)`` so your plugin still loads on a host
without the maintenance plugin, and return plain mappings, never this package's classes: a
plugin declaring targets must not import ``riverhost_maintenance``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pluggy

hookspec = pluggy.HookspecMarker("riverhost")


@hookspec
def riverhost_cleanup_targets() -> Sequence[Mapping[str, object]]:
    """Return the tables whose old rows the maintenance plugin deletes.

    Each mapping has the fields of :class:`riverhost_maintenance.targets.CleanupTarget`:
    ``name`` (what ``cleanup`` jobs name in ``target_type``; unique across plugins),
    ``table`` (``schema.table``), ``column`` (a ``timestamp`` or ``timestamptz`` column),
    ``older_than`` (``"30d"``, the default age), optionally ``condition`` (an SQL boolean
    expression over the table's columns, written by you, never by a user) and, for
    library-scan tables, ``scan_records: true`` with ``status_column`` (default ``status``):
    those are pruned by ``library_scan_cleanup`` and only in a finished state (``completed``,
    ``failed``, ``cancelled``).

    Example::

        @hookimpl(optionalhook=True)
        def riverhost_cleanup_targets():
            return [{"name": "movie_scans", "table": "movie.library_scans",
                     "column": "created_at", "older_than": "30d", "scan_records": True}]

    Every target is checked against the catalog when a host starts; a missing table or a
    column that is not a timestamp stops the start, naming the plugin that declared it.
    """
    raise NotImplementedError
