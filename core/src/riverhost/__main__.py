"""``python -m riverhost``: the same as the ``riverhost`` command."""

from __future__ import annotations

from riverhost.cli import main

main()
