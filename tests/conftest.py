from __future__ import annotations

pytest_plugins = ["riverhost.testing"]
