"""State the top-level options hand to every subcommand."""

from __future__ import annotations

from dataclasses import dataclass, field

import click

from riverhost import logging as riverhost_logging
from riverhost.config import RiverhostConfig, load_config

__all__ = ["CliContext", "pass_context"]


@dataclass
class CliContext:
    """The global options; loads the config (once) when a command first needs it."""

    config_path: str | None
    overrides: dict[tuple[str, ...], tuple[object, str]]
    _config: RiverhostConfig | None = field(default=None, repr=False)

    def config(self) -> RiverhostConfig:
        """The effective config; configures logging the first time."""
        if self._config is None:
            self._config = load_config(self.config_path, overrides=self.overrides)
            riverhost_logging.configure(
                format=self._config.logging.format, level=self._config.logging.level
            )
        return self._config


pass_context = click.make_pass_decorator(CliContext)
