"""Log output: one JSON object per line off a terminal, readable text on one."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
import textwrap

import pytest
import structlog

from riverhost import logging as riverhost_logging


@pytest.fixture(autouse=True)
def _restore_structlog():
    root, pool = logging.getLogger(), logging.getLogger("psycopg.pool")
    handlers, level, pool_level = root.handlers[:], root.level, pool.level
    yield
    structlog.reset_defaults()
    root.handlers[:], root.level = handlers, level
    pool.setLevel(pool_level)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auto_format_writes_json_lines_when_not_on_a_terminal():
    stream = io.StringIO()
    riverhost_logging.configure(stream=stream)

    structlog.get_logger("t").info("plugin.loaded", plugin="movie", kinds=4)

    record = json.loads(stream.getvalue())
    assert record["event"] == "plugin.loaded"
    assert (record["plugin"], record["kinds"], record["level"]) == ("movie", 4, "info")
    assert record["timestamp"].endswith("Z")


def test_auto_format_is_readable_text_on_a_terminal():
    stream = Terminal()
    riverhost_logging.configure(stream=stream)

    structlog.get_logger("t").warning("plugin.blocked", plugin="radarr")

    line = re.sub(r"\x1b\[[0-9;]*m", "", stream.getvalue())
    assert "plugin.blocked" in line
    assert "plugin=radarr" in line
    assert not line.startswith("{")


def test_level_filters_lower_events():
    stream = io.StringIO()
    riverhost_logging.configure(format="json", level="warning", stream=stream)

    structlog.get_logger("t").info("plugin.loaded")
    structlog.get_logger("t").error("plugin.load_failed")

    assert [json.loads(line)["event"] for line in stream.getvalue().splitlines()] == [
        "plugin.load_failed"
    ]


def test_standard_library_records_are_json_lines_too_and_the_pool_speaks_only_of_errors():
    stream = io.StringIO()
    riverhost_logging.configure(format="json", stream=stream)

    logging.getLogger("pluggy").warning("hook %s was slow", "x")
    logging.getLogger("psycopg.pool").warning("error connecting in 'pool-1'")
    logging.getLogger("psycopg.pool").error("pool 'pool-1' gave up")

    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(r["logger"], r["level"], r["event"]) for r in records] == [
        ("pluggy", "warning", "hook x was slow"),
        ("psycopg.pool", "error", "pool 'pool-1' gave up"),
    ]
    assert all(r["timestamp"].endswith("Z") for r in records)


# --------------------------------------------------------------------------- used as a library

_MIGRATE = """
import logging, sys
{setup}
from riverhost.db.migrate import migrate
migrate(sys.argv[1])
print("caller's output")
"""


def _run_as_library(database_url: str, setup: str = "") -> subprocess.CompletedProcess[str]:
    code = _MIGRATE.format(setup=textwrap.dedent(setup))
    return subprocess.run(
        [sys.executable, "-c", code, database_url],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_a_library_caller_gets_no_log_lines_on_its_standard_output(empty_database_url):
    result = _run_as_library(empty_database_url)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "caller's output\n"


def test_a_library_caller_gets_riverhost_events_through_its_standard_logging(
    empty_database_url,
):
    setup = (
        "logging.basicConfig(level=logging.INFO, stream=sys.stderr, format='%(name)s %(message)s')"
    )

    result = _run_as_library(empty_database_url, setup)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "caller's output\n"
    assert re.search(r"^riverhost\.migrate .*migration", result.stderr, re.MULTILINE), result.stderr


def test_a_library_caller_that_configures_structlog_gets_riverhost_events_through_it(
    empty_database_url,
):
    setup = """
    import structlog
    seen = []
    def keep(logger, method, event_dict):
        seen.append(event_dict["event"])
        raise structlog.DropEvent
    structlog.configure(processors=[keep])
    import atexit
    atexit.register(lambda: sys.stderr.write("seen: " + " ".join(seen) + "\\n"))
    """

    result = _run_as_library(empty_database_url, setup)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "caller's output\n"
    assert re.search(r"^seen: .*migration", result.stderr, re.MULTILINE), result.stderr
