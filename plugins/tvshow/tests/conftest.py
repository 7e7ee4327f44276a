"""Fixtures of the TV plugin's tests: riverhost's, plus a TMDb and a Typesense on loopback."""

from __future__ import annotations

pytest_plugins = ["riverhost.testing", "riverhost_media.fixtures"]
