"""Discovery and registration against real installed plugin distributions (tests/distributions)."""

from __future__ import annotations

import sys
from datetime import timedelta

import pytest
from pydantic import BaseModel

from riverhost import JobKind, Migration, PeriodicJob, QueueSpec, RawArgs, hookimpl
from riverhost.config import load_config
from riverhost.errors import (
    DuplicateKindError,
    DuplicateKindInPluginError,
    DuplicatePluginNameError,
    InvalidDeclarationError,
    PluginImportError,
    PluginRef,
    PluginSettingsError,
    RegistryError,
    UnknownPluginNameError,
    UnknownQueueError,
)
from riverhost.plugins import FakeEntryPoint, PluginStatus
from riverhost.registry import load_registry, registry_from_objects


def config(**env: str):
    return load_config(environ=env)


def problems_of(exc_info: pytest.ExceptionInfo[RegistryError], kind: type) -> list:
    return [p for p in exc_info.value.problems if isinstance(p, kind)]


def test_installed_plugin_registers_its_kinds_queues_and_settings(install):
    install("rh-test-alpha")

    registry = load_registry(config())

    alpha = PluginRef("alpha", "rh-test-alpha", "1.0.0")
    assert {k: v.plugin for k, v in registry.kinds.items()} == {
        "alpha_fetch": alpha,
        "alpha_scan": alpha,
    }
    assert registry.kinds["alpha_scan"].spec.timeout == timedelta(minutes=30)
    assert registry.kinds["alpha_scan"].max_attempts == 25
    assert registry.kinds["alpha_fetch"].max_attempts == 5
    assert registry.queues["alpha_io"].max_workers == 4
    assert registry.queues["alpha_io"].declared_by == ("alpha",)
    assert registry.settings["alpha"].model_dump() == {"root": "/srv/media", "depth": 3}
    assert [m.name for m in registry.migrations["alpha"].migrations] == ["create_alpha_items"]


def test_plugin_settings_come_from_its_config_section(install):
    install("rh-test-alpha")

    registry = load_registry(config(RIVERHOST_PLUGINS__ALPHA__DEPTH="7"))

    assert registry.settings["alpha"].depth == 7


def test_bad_plugin_settings_are_reported_with_key_path_and_source(install):
    install("rh-test-alpha")
    env = {"RIVERHOST_PLUGINS__ALPHA__DEPTH": "deep", "RIVERHOST_PLUGINS__ALPHA__COLOUR": "red"}

    with pytest.raises(RegistryError) as exc_info:
        load_registry(config(**env))

    [problem] = problems_of(exc_info, PluginSettingsError)
    paths = {(p.path, p.source) for p in problem.problems}
    assert paths == {
        ("plugins.alpha.depth", "env RIVERHOST_PLUGINS__ALPHA__DEPTH"),
        ("plugins.alpha.colour", "env RIVERHOST_PLUGINS__ALPHA__COLOUR"),
    }
    unknown = next(p for p in problem.problems if p.path == "plugins.alpha.colour")
    assert unknown.message == "unknown key; known keys here: root, depth"


def test_duplicate_kind_names_both_plugins_with_distribution_and_version(install):
    install("rh-test-alpha", "rh-test-beta")

    with pytest.raises(RegistryError) as exc_info:
        load_registry(config())

    [problem] = problems_of(exc_info, DuplicateKindError)
    assert problem.kind == "alpha_scan"
    assert problem.plugins == (
        PluginRef("alpha", "rh-test-alpha", "1.0.0"),
        PluginRef("beta", "rh-test-beta", "2.1.0"),
    )
    message = str(exc_info.value)
    assert "alpha (rh-test-alpha 1.0.0)" in message
    assert "beta (rh-test-beta 2.1.0)" in message
    assert "RIVERHOST_DISABLED_PLUGINS=beta" in message


def test_same_kind_twice_in_one_plugin_is_refused(install):
    install("rh-test-gamma")

    with pytest.raises(RegistryError) as exc_info:
        load_registry(config())

    [problem] = problems_of(exc_info, DuplicateKindInPluginError)
    assert (problem.kind, problem.plugin.name, problem.count) == ("gamma_sync", "gamma", 2)


def test_two_distributions_claiming_one_name_are_both_refused_unimported(install):
    install("rh-test-alpha", "rh-test-imposter")

    with pytest.raises(RegistryError) as exc_info:
        load_registry(config())

    [problem] = problems_of(exc_info, DuplicatePluginNameError)
    assert problem.name == "alpha"
    assert sorted(problem.dists) == [("rh-test-alpha", "1.0.0"), ("rh-test-imposter", "9.9.9")]
    assert "rh_test_alpha.plugin" not in sys.modules
    assert "rh_test_imposter.plugin" not in sys.modules


def test_unknown_queue_is_refused_with_the_known_queues(install):
    install("rh-test-epsilon")

    with pytest.raises(RegistryError) as exc_info:
        load_registry(config())

    [problem] = problems_of(exc_info, UnknownQueueError)
    assert (problem.kind, problem.queue) == ("epsilon_push", "nowhere")
    assert "critical" in problem.known
    assert "jobs.queues.nowhere.max_workers" in str(problem)


def test_non_positive_timeout_is_refused_naming_the_field(install):
    install("rh-test-iota")

    with pytest.raises(RegistryError) as exc_info:
        load_registry(config())

    [problem] = problems_of(exc_info, InvalidDeclarationError)
    assert problem.plugin.name == "iota"
    assert problem.where == "riverhost_job_kinds"
    assert "timeout: must be positive, got 0:00:00" in problem.reason


def test_plugin_that_fails_to_import_chains_its_traceback(install):
    install("rh-test-delta")

    with pytest.raises(RegistryError) as exc_info:
        load_registry(config())

    [problem] = problems_of(exc_info, PluginImportError)
    assert problem.plugin == PluginRef("delta", "rh-test-delta", "0.1.0")
    assert problem.target == "rh_test_delta.plugin"
    assert isinstance(problem.__cause__, ModuleNotFoundError)
    assert exc_info.value.__cause__ is problem.cause
    assert "RIVERHOST_DISABLED_PLUGINS=delta" in str(problem)


@pytest.mark.parametrize(
    ("env", "where"),
    [
        ({"RIVERHOST_LOAD_PLUGINS": "alpah"}, "plugins.enabled (env RIVERHOST_LOAD_PLUGINS)"),
        (
            {"RIVERHOST_DISABLED_PLUGINS": "alpah"},
            "plugins.disabled (env RIVERHOST_DISABLED_PLUGINS)",
        ),
        ({"RIVERHOST_PLUGINS__ALPAH__DEPTH": "1"}, "plugins.alpah"),
    ],
)
def test_unknown_plugin_name_is_an_error_naming_where_it_was_given(install, env, where):
    install("rh-test-alpha")

    with pytest.raises(RegistryError) as exc_info:
        load_registry(config(**env))

    [problem] = problems_of(exc_info, UnknownPluginNameError)
    assert problem.name == "alpah"
    assert where in problem.where
    assert problem.installed == ("alpha",)


def test_every_problem_is_reported_in_one_error(install):
    install(
        "rh-test-alpha",
        "rh-test-beta",
        "rh-test-gamma",
        "rh-test-delta",
        "rh-test-epsilon",
        "rh-test-iota",
    )

    with pytest.raises(RegistryError) as exc_info:
        load_registry(config(RIVERHOST_DISABLED_PLUGINS="nope"))

    kinds = {type(p) for p in exc_info.value.problems}
    assert kinds == {
        DuplicateKindError,
        DuplicateKindInPluginError,
        PluginImportError,
        UnknownQueueError,
        InvalidDeclarationError,
        UnknownPluginNameError,
    }
    assert str(exc_info.value).startswith("the plugin registry has 6 problems:")


@pytest.mark.parametrize(
    ("env", "loaded"),
    [
        ({}, {"alpha", "zeta"}),
        ({"RIVERHOST_LOAD_PLUGINS": ""}, set()),
        ({"RIVERHOST_LOAD_PLUGINS": "alpha"}, {"alpha"}),
        ({"RIVERHOST_DISABLED_PLUGINS": "zeta"}, {"alpha"}),
        ({"RIVERHOST_LOAD_PLUGINS": "alpha,zeta", "RIVERHOST_DISABLED_PLUGINS": "alpha"}, {"zeta"}),
    ],
)
def test_selection_decides_which_plugins_are_imported(install, env, loaded):
    install("rh-test-alpha", "rh-test-zeta")

    registry = load_registry(config(**env))

    enabled = {p.name for p in registry.plugins if p.status is PluginStatus.ENABLED}
    imported = {name for name in ("alpha", "zeta") if f"rh_test_{name}.plugin" in sys.modules}
    assert enabled == imported == loaded


def test_disabled_plugin_is_listed_with_the_reason(install):
    install("rh-test-alpha", "rh-test-beta")

    registry = load_registry(config(RIVERHOST_DISABLED_PLUGINS="beta"))

    beta = next(p for p in registry.plugins if p.name == "beta")
    assert beta.status is PluginStatus.DISABLED
    assert beta.reason == "disabled by plugins.disabled (env RIVERHOST_DISABLED_PLUGINS)"
    assert "rh_test_beta.plugin" not in sys.modules


def test_plugin_adds_a_hookspec_that_another_plugin_implements(install):
    install("rh-test-zeta", "rh-test-eta")

    registry = load_registry(config())

    assert registry.hook.riverhost_zeta_targets() == [["eta_items"]]
    args = registry.kinds["eta_index"].spec.args
    assert (args.__module__, args.__name__) == ("rh_test_zeta.plugin", "TargetArgs")


def test_optional_hook_of_a_disabled_plugin_does_not_break_its_implementer(install):
    install("rh-test-zeta", "rh-test-eta")

    registry = load_registry(config(RIVERHOST_DISABLED_PLUGINS="zeta"))

    assert set(registry.kinds) == {"eta_index"}


def test_misspelled_hook_and_wrong_return_type_are_both_reported(install):
    install("rh-test-theta")

    with pytest.raises(RegistryError) as exc_info:
        load_registry(config())

    reasons = [p.reason for p in problems_of(exc_info, InvalidDeclarationError)]
    assert any("riverhost_queus match no hookspec" in r for r in reasons)


def test_hook_returning_the_wrong_type_is_refused_with_the_type_named():
    class Plugin:
        @hookimpl
        def riverhost_job_kinds(self, settings):
            return {"kind": "wrong"}

        @hookimpl
        def riverhost_queues(self, settings):
            return [QueueSpec(name="extra", max_workers=2), "fast"]

    with pytest.raises(RegistryError) as exc_info:
        registry_from_objects(("wrong", Plugin()))

    reasons = sorted(p.reason for p in problems_of(exc_info, InvalidDeclarationError))
    assert reasons == [
        "item 1 is str 'fast', not QueueSpec",
        "must return a list of JobKind, got dict",
    ]


def test_hook_that_raises_is_reported_with_its_exception():
    class Plugin:
        @hookimpl
        def riverhost_job_kinds(self, settings):
            raise RuntimeError("TMDB_API_KEY is not set")

    with pytest.raises(RegistryError) as exc_info:
        registry_from_objects(("failing", Plugin()))

    [problem] = problems_of(exc_info, InvalidDeclarationError)
    assert problem.reason == "raised RuntimeError: TMDB_API_KEY is not set"
    assert isinstance(problem.__cause__, RuntimeError)


def test_plugin_queue_keeps_the_operators_worker_count():
    class Plugin:
        @hookimpl
        def riverhost_queues(self, settings):
            return [QueueSpec(name="bulk", max_workers=50), QueueSpec(name="media", max_workers=2)]

    class Other:
        @hookimpl
        def riverhost_queues(self, settings):
            return [QueueSpec(name="media", max_workers=6)]

    registry = registry_from_objects(("one", Plugin()), ("two", Other()))

    assert registry.queues["bulk"].max_workers == 3
    assert registry.queues["media"].max_workers == 6
    assert registry.queues["media"].declared_by == ("one", "two")


def test_plugin_registry_fixture_builds_from_objects_only(plugin_registry):
    def work(args):
        return args

    class Plugin:
        @hookimpl
        def riverhost_job_kinds(self, settings):
            from pydantic import BaseModel

            class Args(BaseModel):
                n: int

            return [JobKind(kind="demo_work", args=Args, worker=work, queue="low")]

    registry = plugin_registry(("demo", Plugin()))

    assert registry.kinds["demo_work"].plugin.name == "demo"


def test_fake_entry_points_drive_discovery(fake_entry_points):
    fake_entry_points(
        [FakeEntryPoint("ghost", ImportError("no module named ghost_lib"), dist="ghost-dist")]
    )

    with pytest.raises(RegistryError) as exc_info:
        load_registry(config())

    [problem] = problems_of(exc_info, PluginImportError)
    assert problem.plugin == PluginRef("ghost", "ghost-dist", "0.0.0")


def test_plugin_migrations_must_number_from_one_without_gaps():
    class Plugin:
        @hookimpl
        def riverhost_migrations(self):
            return [
                Migration(version=1, name="a", sql="SELECT 1"),
                Migration(version=3, name="c", sql="SELECT 3"),
            ]

    with pytest.raises(RegistryError) as exc_info:
        registry_from_objects(("gappy", Plugin()))

    [problem] = problems_of(exc_info, InvalidDeclarationError)
    assert problem.where == "riverhost_migrations"
    assert "versions 1, 2, 3, … in order without gaps or repeats, but has [1, 3]" in problem.reason


class NoArgs(BaseModel):
    pass


def _periodic_plugin(kinds, periodic_ids_and_kinds):
    class Plugin:
        @hookimpl
        def riverhost_job_kinds(self, settings):
            return [JobKind(kind=k, args=NoArgs, worker=lambda job: None) for k in kinds]

        @hookimpl
        def riverhost_periodic_jobs(self, settings):
            return [
                PeriodicJob(id=job_id, args=RawArgs(kind, {}), every="1m")
                for job_id, kind in periodic_ids_and_kinds
            ]

    return Plugin()


def test_a_periodic_id_declared_twice_or_inserting_an_unknown_kind_is_refused_by_name():
    one = _periodic_plugin(["report"], [("nightly", "report")])
    two = _periodic_plugin(["digest"], [("nightly", "digest"), ("orphan", "nobody_works_this")])

    with pytest.raises(RegistryError) as exc_info:
        registry_from_objects(("one", one), ("two", two))

    reasons = sorted(p.reason for p in problems_of(exc_info, InvalidDeclarationError))
    assert len(reasons) == 2
    assert reasons[0].startswith("periodic job 'orphan' inserts kind 'nobody_works_this', which")
    assert reasons[1].startswith("periodic job id 'nightly' is declared more than once (one ")


def test_settings_for_a_plugin_that_takes_none_are_refused_not_ignored():
    config = load_config(environ={"RIVERHOST_PLUGINS__QUIET__VERBOSE": "true"})

    with pytest.raises(RegistryError) as exc_info:
        registry_from_objects(("quiet", _periodic_plugin(["k"], [])), config=config)

    [problem] = problems_of(exc_info, PluginSettingsError)
    assert "plugins.quiet" in str(problem)
    assert "this plugin takes no settings" in str(problem)


def test_a_required_setting_left_unset_is_named_with_the_variable_that_sets_it():
    class Settings(BaseModel):
        base_url: str
        page_size: int = 50

    class Films:
        @hookimpl
        def riverhost_settings_model(self):
            return Settings

    with pytest.raises(RegistryError) as exc_info:
        registry_from_objects(("films", Films()), settings={"films": {"page_size": 10}})

    [problem] = problems_of(exc_info, PluginSettingsError)
    [missing] = problem.problems
    assert str(missing) == (
        "plugins.films.base_url = (not set) (from nowhere): "
        "required: set it in the config file or as RIVERHOST_PLUGINS__FILMS__BASE_URL"
    )
