"""Durations: the strings people write in config, env and CLI, and the timedeltas code holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from riverhost.durations import Duration, format_duration, parse_duration

ACCEPTED_FORMS = "units us, ms, s, m, h, d"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100ms", timedelta(milliseconds=100)),
        ("5m", timedelta(minutes=5)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("2.5s", timedelta(seconds=2, milliseconds=500)),
        ("90", timedelta(seconds=90)),
        ("0.25", timedelta(milliseconds=250)),
        ("250us", timedelta(microseconds=250)),
        ("2d", timedelta(days=2)),
        ("1d2h3m4s5ms6us", timedelta(days=1, hours=2, minutes=3, seconds=4, microseconds=5006)),
        (".5s", timedelta(milliseconds=500)),
        ("0s", timedelta(0)),
        ("0", timedelta(0)),
    ],
)
def test_parse_reads_the_documented_forms(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1h 30m", timedelta(hours=1, minutes=30)),
        ("5 m", timedelta(minutes=5)),
        ("  30s\n", timedelta(seconds=30)),
    ],
)
def test_parse_allows_spaces_around_and_between_parts(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (90, timedelta(seconds=90)),
        (2.5, timedelta(seconds=2.5)),
        (0.1, timedelta(milliseconds=100)),
        (0, timedelta(0)),
    ],
)
def test_parse_reads_a_number_as_seconds(number, expected):
    assert parse_duration(number) == expected


def test_parse_passes_a_timedelta_through_unchanged():
    value = timedelta(minutes=3, microseconds=7)

    assert parse_duration(value) is value


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("-5s", timedelta(seconds=-5)),
        ("-1h30m", -timedelta(hours=1, minutes=30)),
        ("-90", timedelta(seconds=-90)),
        ("+5s", timedelta(seconds=5)),
        (-2, timedelta(seconds=-2)),
        (timedelta(seconds=-1), timedelta(seconds=-1)),
    ],
)
def test_parse_reads_negative_durations_with_the_sign_covering_every_part(given, expected):
    assert parse_duration(given) == expected


def test_parse_decimal_fractions_exactly():
    assert parse_duration("1.000001s") == timedelta(seconds=1, microseconds=1)


def test_parse_rounds_a_fraction_of_a_microsecond_to_the_nearest_microsecond():
    assert parse_duration("1.6us") == timedelta(microseconds=2)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("abc", id="words"),
        pytest.param("5x", id="unknown-unit"),
        pytest.param("5M", id="upper-case-unit"),
        pytest.param("5mins", id="long-unit"),
        pytest.param("ms", id="unit-without-number"),
        pytest.param("1h 30", id="last-part-without-unit"),
        pytest.param("1h30", id="trailing-number-without-unit"),
        pytest.param("1 0s", id="space-inside-a-number"),
        pytest.param("-", id="sign-only"),
        pytest.param("--5s", id="double-sign"),
        pytest.param("+-5s", id="mixed-signs"),
        pytest.param("5s-", id="trailing-sign"),
        pytest.param("1e3", id="exponent"),
        pytest.param("1,5s", id="decimal-comma"),
        pytest.param("\u0665s", id="non-ascii-digit"),
    ],
)
def test_parse_rejects_text_that_is_not_a_duration_and_names_the_accepted_forms(text):
    with pytest.raises(ValueError, match="expected a duration") as caught:
        parse_duration(text)

    assert ACCEPTED_FORMS in str(caught.value)
    assert repr(text) in str(caught.value)


@pytest.mark.parametrize("value", [True, False])
def test_parse_rejects_a_boolean(value):
    with pytest.raises(ValueError, match="boolean"):
        parse_duration(value)


@pytest.mark.parametrize("value", [None, [5], {"s": 5}, b"5s"])
def test_parse_rejects_values_of_other_types(value):
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(value)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_parse_rejects_a_non_finite_number(value):
    with pytest.raises(ValueError, match="finite"):
        parse_duration(value)


@pytest.mark.parametrize("value", ["1000000000d", 10**20, 1e20])
def test_parse_reports_a_duration_too_large_as_a_value_error(value):
    with pytest.raises(ValueError, match="out of range"):
        parse_duration(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (timedelta(milliseconds=100), "100ms"),
        (timedelta(hours=1, minutes=30), "1h30m"),
        (timedelta(seconds=2.5), "2s500ms"),
        (timedelta(days=1, microseconds=1), "1d1us"),
        (timedelta(0), "0s"),
        (timedelta(seconds=-5), "-5s"),
        (-timedelta(hours=1, minutes=30), "-1h30m"),
    ],
)
def test_format_writes_the_shortest_exact_form(value, expected):
    assert format_duration(value) == expected


@settings(database=None)
@given(
    st.timedeltas(
        min_value=-timedelta(days=3653),
        max_value=timedelta(days=3653),
    )
)
def test_format_then_parse_gives_back_the_same_timedelta(value):
    assert parse_duration(format_duration(value)) == value


class _Model(BaseModel):
    timeout: Duration


def test_duration_field_reads_a_string_and_writes_it_back_in_json():
    model = _Model.model_validate({"timeout": "1h30m"})

    assert model.timeout == timedelta(hours=1, minutes=30)
    assert model.model_dump(mode="json") == {"timeout": "1h30m"}
    assert model.model_dump() == {"timeout": timedelta(hours=1, minutes=30)}


def test_duration_field_reports_a_bad_value_as_a_validation_error_at_its_key():
    with pytest.raises(ValidationError) as caught:
        _Model.model_validate({"timeout": "soon"})

    (error,) = caught.value.errors()
    assert error["loc"] == ("timeout",)
    assert "expected a duration" in error["msg"]
