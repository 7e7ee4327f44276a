"""riverhost's fixtures (run_job, database_url, plugin_registry, …) for these tests."""

from __future__ import annotations

pytest_plugins = ["riverhost.testing"]
