"""Registration: kinds with the seed's options, periodic jobs and their overrides, settings
refused with their key paths."""

from __future__ import annotations

from datetime import timedelta

import pytest

from riverhost_maintenance import plugin

PLUGIN = ("maintenance", plugin)


def test_the_four_kinds_have_the_seeds_queues_timeouts_and_attempts(plugin_registry):
    registry = plugin_registry(PLUGIN)
    kinds = {name: registered.spec for name, registered in registry.kinds.items()}
    assert {k: (v.queue, v.timeout, v.max_attempts) for k, v in kinds.items()} == {
        "notification": ("high", timedelta(minutes=2), 5),
        "cleanup": ("low", timedelta(minutes=2), 5),
        "activity_cleanup": ("low", timedelta(minutes=2), 3),
        "library_scan_cleanup": ("low", timedelta(minutes=2), 3),
    }
    unique = kinds["notification"].unique
    assert unique is not None
    assert unique.by_args
    assert unique.by_period == timedelta(hours=1)


def test_periodic_jobs_have_the_seeds_ids_and_schedules():
    from riverhost_maintenance.settings import Settings

    jobs = {job.id: job for job in plugin.riverhost_periodic_jobs(Settings())}
    assert {i: (j.every, j.run_on_start, j.kind) for i, j in jobs.items()} == {
        "auth_cleanup_daily": (timedelta(hours=24), True, "cleanup"),
        "activity_cleanup_daily": (timedelta(hours=24), False, "activity_cleanup"),
        "library_scan_cleanup_daily": (timedelta(hours=24), False, "library_scan_cleanup"),
    }
    assert jobs["activity_cleanup_daily"].args.to_json() == {"retention_days": 90, "dry_run": False}


def test_periodic_jobs_can_be_rescheduled_or_switched_off():
    from riverhost_maintenance.settings import Settings

    settings = Settings.model_validate(
        {
            "periodic": {
                "auth_cleanup_daily": {"enabled": False},
                "activity_cleanup_daily": {"cron": "0 3 * * *", "args": {"dry_run": True}},
                "library_scan_cleanup_daily": {"every": "6h", "run_on_start": True},
            }
        }
    )
    jobs = {job.id: job for job in plugin.riverhost_periodic_jobs(settings)}
    assert set(jobs) == {"activity_cleanup_daily", "library_scan_cleanup_daily"}
    assert jobs["activity_cleanup_daily"].cron == "0 3 * * *"
    assert jobs["activity_cleanup_daily"].every is None
    assert jobs["activity_cleanup_daily"].args.to_json()["dry_run"] is True
    assert jobs["library_scan_cleanup_daily"].every == timedelta(hours=6)
    assert jobs["library_scan_cleanup_daily"].run_on_start


@pytest.mark.parametrize(
    ("section", "key_path"),
    [
        (
            {"agents": [{"type": "webhook", "name": "ops"}]},
            "plugins.maintenance.agents.0.webhook.url",
        ),
        (
            {
                "agents": [
                    {"type": "gotify", "name": "g", "server_url": "ftp://x", "app_token": "t"}
                ]
            },
            "plugins.maintenance.agents.0.gotify.server_url",
        ),
        ({"agents": [{"type": "pager", "name": "p"}]}, "plugins.maintenance.agents.0"),
        (
            {"cleanup": {"targets": {"sessions": {"table": "s"}}}},
            "plugins.maintenance.cleanup.targets.sessions.column",
        ),
        ({"periodic": {"nightly": {}}}, "plugins.maintenance.periodic.nightly"),
    ],
)
def test_bad_settings_are_refused_with_the_key_path(plugin_registry, section, key_path):
    with pytest.raises(Exception, match="invalid settings") as refused:
        plugin_registry(PLUGIN, settings={"maintenance": section})
    assert key_path in str(refused.value)
