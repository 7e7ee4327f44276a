"""riverhost-maintenance: notifications to webhook, Discord, Gotify, ntfy and email agents,
cleanup of old rows in the tables plugins and settings declare, activity and scan-record pruning.

The hooks are in :mod:`riverhost_maintenance.plugin`, the hookspecs other plugins implement in
:mod:`riverhost_maintenance.spec`. Other plugins never import this package: they declare
cleanup targets through an ``optionalhook`` and emit notifications by inserting a
``notification`` job by kind (see the README).
"""

from __future__ import annotations

__version__ = "0.1.0"
