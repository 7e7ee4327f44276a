"""The hook the zeta plugin asks other plugins to implement."""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("riverhost")


@hookspec
def riverhost_zeta_targets() -> list[str]:
    """Return the table names zeta should clean."""
    raise NotImplementedError
