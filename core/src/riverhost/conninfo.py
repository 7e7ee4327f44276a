"""PostgreSQL connection strings as riverhost reads and shows them.

Owns the one check of a connection string's form (:func:`check_conninfo`, used when the config
is loaded) and the one way a password is hidden before a string is shown or logged
(:func:`redact`). It connects to nothing: whether the server answers is the database layer's
business. It imports nothing from the rest of riverhost, so the config, the database layer and
the CLI may all use it.
"""

from __future__ import annotations

import re

__all__ = ["EXPECTED_FORM", "check_conninfo", "redact"]

#: How an error says what a connection string should look like.
EXPECTED_FORM = (
    "postgresql://user@host:port/db (postgres:// too, or libpq key=value pairs such as "
    "'host=db port=5432 dbname=jobs user=app')"
)

_PASSWORD = re.compile(r"(?P<uri>://[^:/@]*:)[^@]*@|(?P<kw>password\s*=\s*)\S+")
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")


def redact(value: str) -> str:
    """``value`` with any password in a connection URL or string replaced by ``***``."""
    return _PASSWORD.sub(lambda m: f"{m['uri']}***@" if m["uri"] else f"{m['kw']}***", value)


def check_conninfo(value: str) -> str:
    """``value`` if psycopg can read it as a connection string, else :class:`ValueError`.

    Accepts what libpq accepts: ``postgresql://`` and ``postgres://`` URLs and ``key=value``
    strings; a port must be a number. The error's message names the expected form and shows
    the string with its password masked.
    """
    if not value:
        return value
    # Imported here: the config is loaded by commands (``--version``) that never connect.
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    shown = redact(value)
    scheme = _SCHEME.match(value)
    if scheme and scheme["scheme"] not in ("postgresql", "postgres"):
        reason = f"{scheme['scheme']}:// is not a PostgreSQL URL"
    else:
        try:
            params = conninfo_to_dict(value)
        except psycopg.ProgrammingError as exc:
            # libpq quotes the string it could not read, password and all.
            reason = str(exc).strip().replace(value, shown)
        else:
            ports = str(params.get("port") or "").split(",")
            if all(not port or port.isdigit() for port in ports):
                return value
            reason = f"port {params['port']!r} is not a number"
    raise ValueError(f"not a PostgreSQL connection string ({reason}); expected {EXPECTED_FORM}")
