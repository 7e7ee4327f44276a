"""River's unique keys: Go River's own test vectors, its bitmask, and Go's JSON encoding."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from riverhost.db.unique import (
    go_json,
    unique_key,
    unique_key_string,
    unique_states_bitmask,
    unique_states_bits,
)
from riverhost.kinds import JobState, UniqueOpts

NOW = datetime(2024, 9, 15, 10, 42, 17, 123456, tzinfo=UTC)


def key_string(kind, args, opts, queue="email_queue", **kwargs):
    return unique_key_string(
        kind=kind, queue=queue, encoded_args=args, opts=opts, now=NOW, **kwargs
    )


def test_worked_example_of_river_md_hashes_to_its_digest():
    opts = UniqueOpts(by_args=True)

    text = key_string("email", {"b": 1, "a": 2}, opts)

    assert text == '&kind=email&args={"a":2,"b":1}'
    assert (
        unique_key(text).hex() == "143d872feed70ce28228b6355d4e2676303e419b414e1c030775c3a2c79eac2e"
    )


# The cases of River's internal/dbunique/db_unique_test.go, args as Go encodes them.
@pytest.mark.parametrize(
    ("kind", "args", "opts", "fields", "expected"),
    [
        (
            "worker_1",
            {
                "recipient": "user@example.com",
                "subject": "Test Email",
                "body": "This is a test email.",
                "template_id": 101,
                "scheduled_at": "2024-09-15T10:00:00Z",
            },
            UniqueOpts(by_args=True),
            ["recipient", "subject"],
            '&kind=worker_1&args={"recipient":"user@example.com","subject":"Test Email"}',
        ),
        (
            "worker_2",
            {"phone_number": "555-5678", "template_id": 202},  # "message" omitted when empty
            UniqueOpts(by_args=True),
            ["phone_number", "message"],
            '&kind=worker_2&args={"phone_number":"555-5678"}',
        ),
        (
            "worker_3",
            {"description": "A generic job without unique fields.", "count": 10},
            UniqueOpts(by_args=True),
            None,
            '&kind=worker_3&args={"count":10,"description":"A generic job without unique fields."}',
        ),
        ("worker_1", {}, UniqueOpts(by_args=True), None, "&kind=worker_1&args={}"),
        (
            "worker_4",
            {"TaskID": "task_123"},
            UniqueOpts(by_period=timedelta(hours=1), by_state=frozenset(JobState)),
            None,
            "&kind=worker_4&period=2024-09-15T10:00:00Z",
        ),
        (
            "worker_5",
            {"task_id": "task_123"},
            UniqueOpts(by_args=True, exclude_kind=True),
            None,
            '&args={"task_id":"task_123"}',
        ),
        (
            "worker_6",
            {"task_id": "task_123"},
            UniqueOpts(by_queue=True),
            None,
            "&kind=worker_6&queue=email_queue",
        ),
        (
            "worker_7",
            {"task_id": "task_123"},
            UniqueOpts(by_state=frozenset(JobState)),
            None,
            "&kind=worker_7",
        ),
    ],
)
def test_key_string_matches_go_rivers_test_vectors(kind, args, opts, fields, expected):
    text = key_string(kind, args, opts, unique_fields=fields)

    assert text == expected
    assert unique_key(text) == hashlib.sha256(expected.encode()).digest()


def test_nested_objects_keep_their_key_order_as_go_encodes_structs():
    args = {"to": {"recipient": "a@b.c", "bcc": ""}, "id": 1}

    assert key_string("mail", args, UniqueOpts(by_args=True)) == (
        '&kind=mail&args={"id":1,"to":{"recipient":"a@b.c","bcc":""}}'
    )


def test_period_starts_from_scheduled_at_when_given():
    later = datetime(2024, 9, 16, 23, 59, 59, tzinfo=UTC)

    text = key_string("k", {}, UniqueOpts(by_period=timedelta(days=1)), scheduled_at=later)

    assert text == "&kind=k&period=2024-09-16T00:00:00Z"


def test_period_truncates_from_gos_zero_time_not_the_unix_epoch():
    # 5 h does not divide the 62,135,596,800 s between year 1 and 1970, so Go's buckets start
    # at 02:00, 07:00, … where epoch-based ones (Ruby, riverqueue-python) start at 00:00, 05:00.
    moment = datetime(1970, 1, 1, 4, 0, tzinfo=UTC)

    text = unique_key_string(
        kind="k",
        queue="q",
        encoded_args={},
        opts=UniqueOpts(by_period=timedelta(hours=5)),
        now=moment,
    )
    assert text == "&kind=k&period=1970-01-01T02:00:00Z"


def test_period_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="aware datetime"):
        unique_key_string(
            kind="k",
            queue="q",
            encoded_args={},
            opts=UniqueOpts(by_period=timedelta(hours=1)),
            now=datetime(2024, 1, 1),  # naive: the mistake under test
        )


def test_default_states_mask_is_river_default():
    assert unique_states_bitmask(None) == 0xF5
    assert unique_states_bits(None) == "11110101"


@pytest.mark.parametrize(
    ("state", "bits"),
    [
        (JobState.SCHEDULED, "10000000"),
        (JobState.RUNNING, "01000000"),
        (JobState.RETRYABLE, "00100000"),
        (JobState.PENDING, "00010000"),
        (JobState.DISCARDED, "00001000"),
        (JobState.COMPLETED, "00000100"),
        (JobState.CANCELLED, "00000010"),
        (JobState.AVAILABLE, "00000001"),
    ],
)
def test_each_state_sets_rivers_bit(state, bits):
    assert unique_states_bits([state]) == bits


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ({"a": "<b>&</b>"}, '{"a":"\\u003cb\\u003e\\u0026\\u003c/b\\u003e"}'),
        ("héllo ☃", '"héllo ☃"'),
        ("line\nbreak\ttab\x01\b\f", '"line\\nbreak\\ttab\\u0001\\b\\f"'),
        ("\u2028\u2029", '"\\u2028\\u2029"'),
        (2.0, "2"),
        (0.5, "0.5"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1.5e-7, "1.5e-7"),
        (1.2345e-10, "1.2345e-10"),
        (-0.0, "-0"),
        (0.000001, "0.000001"),
        ([1, True, None, "x"], '[1,true,null,"x"]'),
    ],
)
def test_go_json_encodes_like_gos_encoding_json(value, encoded):
    assert go_json(value) == encoded


def test_go_json_refuses_what_json_cannot_hold():
    with pytest.raises(ValueError, match="no representation"):
        go_json(float("nan"))
    with pytest.raises(TypeError, match="cannot encode set"):
        go_json({1, 2})


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def same(decoded, original):
    """Equal as JSON values: Go writes integral floats without a point, so they read back as int."""
    if isinstance(original, float):
        return float(decoded) == original
    if isinstance(original, dict):
        return decoded.keys() == original.keys() and all(
            same(decoded[k], v) for k, v in original.items()
        )
    if isinstance(original, list):
        return len(decoded) == len(original) and all(map(same, decoded, original))
    return decoded == original and type(decoded) is type(original)


@given(json_values)
def test_go_json_output_is_json_that_reads_back_to_the_same_value(value):
    assert same(json.loads(go_json(value)), value)
