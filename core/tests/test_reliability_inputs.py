"""Inputs at and past their limits: property tests over insert options, job kinds, config
loading and River's unique key, and the database's own limits (names of 127 / 128 characters,
NUL in strings, huge and deeply nested args) met through the client.

Each bad input must be refused with an error that names it, or be stored exactly as given;
never silently altered.
"""

from __future__ import annotations

import asyncio
import json
import math
import string
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from riverhost import AsyncClient, InsertOpts, JobArgs, JobKind, RawArgs, UniqueOpts
from riverhost.config import load_config
from riverhost.db.unique import go_json, unique_key, unique_key_string
from riverhost.errors import ConfigError, ConfigFileError, InsertError

FEW = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: For tests that rewrite one file in ``tmp_path`` on every example.
FEW_FILES = settings(FEW, suppress_health_check=[HealthCheck.function_scoped_fixture])

QUEUE_CHARS = string.ascii_lowercase + string.digits
KIND_CHARS = string.ascii_letters + string.digits + "_-.:/<>[]+"


def _worker(job: Any) -> None:
    return None


class _NoArgs(BaseModel):
    pass


# --------------------------------------------------------------------------- insert options


@FEW
@given(st.integers())
def test_priority_is_taken_from_1_to_4_and_anything_else_is_refused_by_name(priority):
    if 1 <= priority <= 4:
        assert InsertOpts(priority=priority).priority == priority
    else:
        with pytest.raises(ValidationError) as refused:
            InsertOpts(priority=priority)
        assert refused.value.errors()[0]["loc"] == ("priority",)


@FEW
@given(st.one_of(st.integers(max_value=0), st.integers(min_value=32_768), st.integers(1, 32_767)))
def test_max_attempts_below_one_or_past_smallint_is_refused(attempts):
    if 1 <= attempts <= 32_767:
        assert InsertOpts(max_attempts=attempts).max_attempts == attempts
    else:
        with pytest.raises(ValidationError) as refused:
            InsertOpts(max_attempts=attempts)
        assert refused.value.errors()[0]["loc"] == ("max_attempts",)


@FEW
@given(st.text(QUEUE_CHARS, min_size=1, max_size=130))
def test_queue_names_are_taken_up_to_river_s_64_characters(name):
    if len(name) <= 64:
        assert InsertOpts(queue=name).queue == name
    else:
        with pytest.raises(ValidationError) as refused:
            InsertOpts(queue=name)
        assert refused.value.errors()[0]["loc"] == ("queue",)


@FEW
@given(st.text(KIND_CHARS, min_size=120, max_size=135))
def test_kinds_are_taken_up_to_127_characters_as_river_s_table_allows(tail):
    kind = "k" + tail
    if len(kind) <= 127:
        assert JobKind(kind=kind, args=_NoArgs, worker=_worker).kind == kind
    else:
        with pytest.raises(ValidationError) as refused:
            JobKind(kind=kind, args=_NoArgs, worker=_worker)
        assert refused.value.errors()[0]["loc"] == ("kind",)


class FloatArgs(JobArgs):
    kind: ClassVar[str] = "float_args"

    value: float


@FEW
@given(st.floats())
def test_args_floats_are_stored_as_given_or_refused_never_turned_into_null(value):
    # JSON has no NaN or infinity; pydantic would quietly write them as null.
    if math.isfinite(value):
        assert json.loads(FloatArgs(value=value).to_json_text()) == {"value": value}
    else:
        with pytest.raises(ValidationError) as refused:
            FloatArgs(value=value)
        assert refused.value.errors()[0]["loc"] == ("value",)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_raw_args_with_nan_or_infinity_are_refused_before_the_database(value):
    with pytest.raises(ValueError, match="JSON"):
        RawArgs("raw_floats", {"value": value}).to_json_text()


# --------------------------------------------------------------------------- config loading

ENV_KEYS = [
    "RIVERHOST_JOBS__MAX_WORKERS",
    "RIVER_WORKERS",
    "RIVERHOST_JOBS__POLL_INTERVAL",
    "RIVERHOST_JOBS__QUEUES__BULK__MAX_WORKERS",
    "RIVERHOST_MAINTENANCE__HOST_LAPSE",
    "RIVERHOST_LOGGING__LEVEL",
    "RIVERHOST_JOBS__QUEUES",
    "RIVERHOST_JOBS",
]


def load_failure(*args: Any, **kwargs: Any) -> ConfigError | ConfigFileError | None:
    """What :func:`load_config` refused the input with, or None; any other error propagates."""
    try:
        load_config(*args, **kwargs)
    except (ConfigError, ConfigFileError) as exc:
        return exc
    return None


@FEW
@given(st.dictionaries(st.sampled_from(ENV_KEYS), st.text(max_size=40), max_size=4))
def test_any_environment_values_load_or_fail_naming_each_variable(environ):
    failure = load_failure(environ=environ)

    for problem in getattr(failure, "problems", ()):
        assert problem.source.removeprefix("env ") in environ, problem
        assert problem.path, problem
        assert problem.message, problem


yaml_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=20), st.floats(allow_nan=False)
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["jobs", "max_workers", "queues", "bulk", "x"]), inner),
    ),
    max_leaves=8,
)


@FEW_FILES
@given(
    st.dictionaries(
        st.sampled_from(["jobs", "database", "maintenance", "logging", "plugins", "nope"]),
        yaml_values,
        max_size=3,
    )
)
def test_any_yaml_document_loads_or_fails_with_a_config_error_naming_the_file(tmp_path, document):
    path = tmp_path / "riverhost.yaml"
    path.write_text(json.dumps(document))  # JSON is YAML: any shape, every value type

    failure = load_failure(path, environ={})

    if isinstance(failure, ConfigError):
        assert {p.source.split(":")[0] for p in failure.problems} <= {str(path), "default"}
    elif failure is not None:
        assert str(path) in str(failure)


@FEW_FILES
@given(st.binary(max_size=200))
def test_any_bytes_as_a_config_file_load_or_fail_with_a_config_error(tmp_path, content):
    path = tmp_path / "riverhost.yaml"
    path.write_bytes(content)

    failure = load_failure(path, environ={})

    assert failure is None or str(path) in str(failure) or failure.problems


# --------------------------------------------------------------------------- unique keys

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**63), 2**63 - 1),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(), inner)),
    max_leaves=20,
)


@FEW
@given(st.dictionaries(st.text(), json_values, max_size=6), st.randoms())
def test_the_unique_key_ignores_the_order_of_args_keys_and_reads_back_as_json(args, rnd):
    shuffled = list(args.items())
    rnd.shuffle(shuffled)
    opts = UniqueOpts(by_args=True, by_queue=True, by_period=timedelta(minutes=15))
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    def key(encoded: dict[str, Any]) -> str:
        return unique_key_string(
            kind="k_unique", queue="default", encoded_args=encoded, opts=opts, now=now
        )

    text = key(args)
    assert text == key(dict(shuffled))
    assert len(unique_key(text)) == 32
    body = text.split("&args=", 1)[1].rsplit("&period=", 1)[0]
    assert same(json.loads(body), args)  # Go's escaping is still JSON: nothing lost or changed


def same(read: Any, given: Any) -> bool:
    """Equal as JSON values: Go writes 6.7e+16 as 67000000000000000, which reads as an int."""
    if isinstance(given, float) and isinstance(read, int | float):
        return float(read) == given
    if isinstance(given, dict):
        return (
            isinstance(read, dict)
            and read.keys() == given.keys()
            and all(same(read[k], v) for k, v in given.items())
        )
    if isinstance(given, list):
        return (
            isinstance(read, list)
            and len(read) == len(given)
            and all(same(r, g) for r, g in zip(read, given, strict=True))
        )
    return type(read) is type(given) and read == given


@FEW
@given(st.text())
def test_go_json_strings_read_back_unchanged_nul_included(text):
    surrogate_free = "".join(c for c in text if not "\ud800" <= c <= "\udfff")
    assert json.loads(go_json(surrogate_free)) == surrogate_free


def test_go_json_refuses_nan_and_infinity_as_go_does():
    for value in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match="JSON has no representation"):
            go_json({"x": [value]})


def test_deeply_nested_args_have_a_unique_key():
    nested: Any = "bottom"
    for _ in range(100):  # 200 levels; go_json recurses, so about 450 is its limit today
        nested = {"down": [nested]}
    opts = UniqueOpts(by_args=True)
    now = datetime.now(UTC)
    text = unique_key_string(
        kind="k_nested", queue="default", encoded_args={"n": nested}, opts=opts, now=now
    )
    assert json.loads(text.removeprefix("&kind=k_nested&args=")) == {"n": nested}


def test_args_too_deep_for_a_unique_key_are_refused_saying_so(database_url):
    nested: Any = "bottom"
    for _ in range(400):  # 800 levels: JSON encodes them, the unique key's encoder cannot
        nested = {"down": [nested]}
    unique = InsertOpts(unique=UniqueOpts(by_args=True))

    with pytest.raises(InsertError, match="nest too deeply to compute a unique key"):
        insert(database_url, RawArgs("k_deep", {"n": nested}, unique))
    assert insert(database_url, RawArgs("k_deep", {"n": nested}))[0].kind == "k_deep"
    for _ in range(400):
        nested = {"down": [nested]}
    with pytest.raises(InsertError, match="nest too deeply to encode"):
        insert(database_url, RawArgs("k_deep", {"n": nested}))


# --------------------------------------------------------------------------- the database's limits


def insert(url: str, *items: Any) -> list[Any]:
    async def scenario() -> list[Any]:
        async with await AsyncClient.connect(url) as client:
            return [(await client.insert(item)).job for item in items]

    return asyncio.run(scenario())


def test_names_at_the_limit_are_stored_and_one_past_it_is_refused_by_name(database_url):
    kind, queue = "k" * 127, "q" * 64

    (job,) = insert(database_url, RawArgs(kind, {}, InsertOpts(queue=queue, priority=4)))

    assert (job.kind, job.queue, job.priority) == (kind, queue, 4)
    with pytest.raises(InsertError, match="its kind is 128 characters, River takes 127"):
        insert(database_url, RawArgs("k" * 128, {}))
    with pytest.raises(ValidationError, match="queue"):
        InsertOpts(queue="q" * 65)


def test_huge_and_deeply_nested_args_are_stored_exactly(database_url):
    nested: Any = "bottom"
    for _ in range(200):  # 400 levels of JSON; Python's own recursion limit is near 1000
        nested = {"down": [nested]}
    big = {"blob": "x" * 5_000_000, "n": nested, "unicode": "é\u2028<&>", "max": 2**63 - 1}

    (job,) = insert(database_url, RawArgs("k_big", big))

    with psycopg.connect(database_url) as conn:
        (stored,) = conn.execute("SELECT args FROM river_job WHERE id = %s", (job.id,)).fetchone()
    assert stored == big


@pytest.mark.parametrize("where", ["args", "metadata"])
def test_a_nul_in_a_string_is_refused_with_postgresql_s_reason_and_nothing_is_stored(
    database_url, where
):
    # jsonb cannot hold U+0000; dropping or replacing it quietly would change the job.
    raw = (
        RawArgs("k_nul", {"name": "a\x00b"})
        if where == "args"
        else RawArgs("k_nul", {}, InsertOpts(metadata={"note": "a\x00b"}))
    )

    with pytest.raises(psycopg.errors.UntranslatableCharacter, match=r"\\u0000"):
        insert(database_url, raw)

    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM river_job").fetchone() == (0,)
