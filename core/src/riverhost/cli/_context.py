"""State the top-level options hand to every subcommand."""

from __future__ import annotations

from dataclasses import dataclass, field

import click

from riverhost.config import RiverhostConfig
from riverhost.engine.runner import StartSpec

__all__ = ["CliContext", "pass_context"]


@dataclass
class CliContext:
    """The global options; loads the config (once) when a command first needs it."""

    config_path: str | None
    overrides: dict[tuple[str, ...], tuple[object, str]]
    _config: RiverhostConfig | None = field(default=None, repr=False)

    @property
    def spec(self) -> StartSpec:
        """Where the config comes from, for whatever starts a host (or its processes)."""
        return StartSpec(self.config_path, self.overrides)

    def config(self, *, one_shot: bool = True) -> RiverhostConfig:
        """The effective config; configures logging the first time (warnings only for a
        ``one_shot`` command unless ``logging.level`` is set; see :meth:`StartSpec.load`)."""
        if self._config is None:
            self._config = self.spec.load(one_shot=one_shot)
        return self._config


pass_context = click.make_pass_decorator(CliContext)
