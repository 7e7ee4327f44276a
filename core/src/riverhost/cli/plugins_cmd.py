"""``riverhost plugins list | kinds | check | new``."""

from __future__ import annotations

from pathlib import Path

import click

from riverhost.cli._context import CliContext, pass_context
from riverhost.cli._output import echo_json, echo_table
from riverhost.cli.scaffold import ScaffoldError, plan_scaffold, write_scaffold
from riverhost.durations import format_duration
from riverhost.errors import RegistryError
from riverhost.plugins import PluginStatus, load_plugins
from riverhost.registry import RegistryDraft, draft_registry, load_registry

__all__ = ["plugins"]


@click.group()
def plugins() -> None:
    """Inspect the installed plugins, their job kinds and problems."""


def _draft(context: CliContext) -> RegistryDraft:
    config = context.config()
    return draft_registry(load_plugins(config), config)


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_context
def list_plugins(context: CliContext, as_json: bool) -> None:
    """Every installed plugin with its status; broken plugins are shown, not fatal."""
    draft = _draft(context)
    rows = []
    for info in draft.loaded.plugins:
        rows.append(
            {
                "name": info.name,
                "dist": info.dist,
                "version": info.version,
                "target": info.target,
                "status": info.status.value,
                "reason": info.reason,
                "kinds": draft.kinds_of(info.name),
                "hooks": draft.loaded.hooks_of(info),
            }
        )
    problems = [str(p) for p in draft.problems]
    if as_json:
        echo_json({"plugins": rows, "problems": problems})
        return
    if not rows:
        click.echo("no plugins installed (entry-point group riverhost.plugins)")
    else:
        echo_table(
            ["plugin", "distribution", "version", "status", "kinds", "note"],
            [
                [r["name"], r["dist"], r["version"], r["status"], len(r["kinds"]), r["reason"]]
                for r in rows
            ],
        )
    if problems:
        click.echo(f"\n{len(problems)} problem(s); run 'riverhost plugins check' for details.")


@plugins.command("kinds")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--plugin", "plugin_name", help="Only kinds of this plugin.")
@click.option("--queue", help="Only kinds on this queue.")
@pass_context
def list_kinds(
    context: CliContext, as_json: bool, plugin_name: str | None, queue: str | None
) -> None:
    """Every job kind with its plugin, queue, timeout and retry rules."""
    config = context.config()
    registry = load_registry(config)
    periodic: dict[str, list[dict[str, object]]] = {}
    for p in registry.periodic.values():
        periodic.setdefault(p.spec.kind, []).append(
            {"id": p.spec.id, "schedule": p.spec.schedule, "run_on_start": p.spec.run_on_start}
        )
    rows = [
        {
            "kind": k.kind,
            "plugin": k.plugin.name,
            "queue": k.spec.queue,
            "timeout": format_duration(k.spec.timeout),
            "max_attempts": k.max_attempts,
            "priority": k.spec.priority,
            "retry": type(k.spec.retry).__name__ if k.spec.retry else "RiverDefaultRetry",
            "unique": k.spec.unique.model_dump(mode="json", exclude_defaults=True)
            if k.spec.unique
            else None,
            "args": f"{k.spec.args.__module__}.{k.spec.args.__qualname__}",
            "periodic": periodic.get(k.kind, []),
        }
        for k in registry.kinds.values()
        if (plugin_name is None or k.plugin.name == plugin_name)
        and (queue is None or k.spec.queue == queue)
    ]
    if as_json:
        echo_json(rows)
        return
    echo_table(
        ["kind", "plugin", "queue", "timeout", "attempts", "priority", "retry", "periodic"],
        [
            [
                r["kind"],
                r["plugin"],
                r["queue"],
                r["timeout"],
                r["max_attempts"],
                r["priority"],
                r["retry"],
                ", ".join(f"{p['id']} ({p['schedule']})" for p in periodic.get(str(r["kind"]), [])),
            ]
            for r in rows
        ],
    )


@plugins.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_context
def check(context: CliContext, as_json: bool) -> None:
    """Build the registry; exit 1 if any plugin or declaration has a problem."""
    draft = _draft(context)
    enabled = [info.name for info in draft.loaded.plugins if info.status is PluginStatus.ENABLED]
    if as_json:
        echo_json(
            {
                "ok": not draft.problems,
                "plugins": enabled,
                "kinds": sorted(draft.kinds),
                "queues": sorted(draft.queues),
                "problems": [str(p) for p in draft.problems],
            }
        )
    elif not draft.problems:
        kinds, queues = len(draft.kinds), len(draft.queues)
        click.echo(f"ok: {len(enabled)} plugin(s), {kinds} kind(s), {queues} queue(s)")
    else:
        click.echo(f"error: {RegistryError(draft.problems)}", err=True)
    if draft.problems:
        raise SystemExit(1)


@plugins.command("new")
@click.argument("name")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=True, dir_okay=True, path_type=Path),
    help="Folder to write the plugin into; new or empty (default: ./riverhost-NAME).",
)
def new(name: str, directory: Path | None) -> None:
    """Write a new plugin distribution NAME that works as written: one job kind calling an
    HTTP API and writing a table, its tests, a README and pyproject.toml."""
    try:
        scaffold = plan_scaffold(name, directory)
    except ScaffoldError as exc:
        raise click.BadParameter(str(exc), param_hint=exc.param) from exc
    write_scaffold(scaffold)
    where = scaffold.directory
    click.echo(f"wrote plugin {scaffold.name!r} ({scaffold.dist}) in {where}/")
    for path in sorted(scaffold.files):
        click.echo(f"  {path}")
    shown = str(where) if where.is_absolute() else f"./{where}"  # pip reads "x[test]" as a name
    steps = [
        (f"pip install -e '{shown}[test]'", "install it beside riverhost (uv pip works too)"),
        ("riverhost plugins list", f"{scaffold.name} shows as enabled"),
        (f"pytest {shown}/tests", "its tests, on the embedded PostgreSQL"),
        ("riverhost run", f"works {scaffold.name}_fetch jobs (configure plugins.{scaffold.name})"),
    ]
    width = max(len(command) for command, _ in steps)
    click.echo("\nNext steps:")
    for command, why in steps:
        click.echo(f"  {command.ljust(width)}  # {why}")
    click.echo(f"See {shown}/README.md and riverhost's guide docs/writing-a-plugin.md.")
