"""Everything that talks to PostgreSQL: where the server comes from, River's schema and ours.

``connect`` decides which server to use (the configured URL or the embedded one),
``embedded`` runs the private server, ``migrate`` creates and upgrades the schema from the SQL
files in ``migrations/``.
"""

from __future__ import annotations
