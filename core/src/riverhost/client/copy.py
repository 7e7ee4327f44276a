"""The COPY path: a batch of jobs streamed into ``river_job`` in COPY's text format.

Owns the text of each row and of each batch's options, the choice of optional columns, and the
chunking of the stream. Options and unique keys are resolved by :mod:`.insert`'s rows, the
statement comes from :func:`riverhost.db.queries.copy_statement`, and the client shells run it
and send the notification; nothing here touches a connection.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import LiteralString

from riverhost.args import ResolvedOpts
from riverhost.client.insert import Args, InsertParams, _KindDefaults, _Row, _rows
from riverhost.db import queries


@dataclass(frozen=True, slots=True)
class _CopyBatch:
    """A COPY ready to stream: its statement, its rows and the queues to notify.

    ``texts`` holds, per options object of the batch, the text of a line after the args: kind,
    max_attempts, queue and the optional columns sent (each row's options are resolved per kind
    in :func:`_rows`, so an options object belongs to one kind). ``unique`` says whether the
    unique columns go too; they are the last two, the only ones written per row.
    """

    statement: LiteralString
    rows: list[_Row]
    texts: dict[int, str]
    unique: bool
    queues: list[str]

    def chunks(self, size: int) -> Iterator[str]:
        """The rows in COPY's text format, ``size`` lines at a time, each chunk built only when
        asked for: the server stores one chunk while the next is being written."""
        texts, unique = self.texts, self.unique
        for start in range(0, len(self.rows), size):
            lines = []
            for r in self.rows[start : start + size]:
                line = r.args.replace("\\", "\\\\") + texts[id(r.opts)]
                if unique:
                    key = "\\N" if r.unique_key is None else "\\\\x" + r.unique_key.hex()
                    states = "\\N" if r.unique_states is None else f"{r.unique_states:08b}"
                    line += "\t" + key + "\t" + states
                lines.append(line)
            yield "\n".join(lines) + "\n"


#: What a row that needs no value of its own writes in a :data:`queries.COPY_OPTIONAL` column
#: another row of the batch needs (``scheduled_at`` is the only one with no fixed text).
_COPY_DEFAULT_TEXT = ("{}", "1", None, "available", "{}")


def _copy_data(items: Sequence[Args | InsertParams], defaults: _KindDefaults) -> _CopyBatch:
    """The COPY of these items in COPY's text format, and the queues to notify.

    Built as text: no per-value adaptation, so the client keeps up with the server. JSON text
    holds no raw tab, newline or carriage return (JSON escapes them), so doubling its
    backslashes is all the escaping COPY needs; kinds, queues and tags are validated to safe
    characters. Optional columns go only when a row needs them; a row whose column goes for
    another's sake writes River's default, and for ``scheduled_at`` the client's clock (COPY
    cannot ask for ``now()`` per row), as River's ``InsertManyFast`` does. The text of a batch's
    options is made once per options object, not per row.
    """
    now = datetime.now(UTC)
    rows = _rows(items, defaults)
    queues = set()
    optional: dict[int, tuple[str, ResolvedOpts, tuple[str | None, ...]]] = {}
    unique = False
    for r in rows:
        if id(r.opts) not in optional:
            values = _copy_optional(r.opts, now)
            optional[id(r.opts)] = (r.kind, r.opts, values)
            if values[3] is None:  # neither pending nor scheduled: available now
                queues.add(r.opts.queue)
        if r.unique_key is not None or r.unique_states is not None:
            unique = True
    sent = [
        i
        for i in range(len(_COPY_DEFAULT_TEXT))
        if any(values[i] is not None for _, _, values in optional.values())
    ]
    fallback = {i: _COPY_DEFAULT_TEXT[i] or now.isoformat() for i in sent}
    texts = {}
    for key, (kind, opts, values) in optional.items():
        fields = [kind, str(opts.max_attempts), opts.queue]
        for i in sent:
            value = values[i]
            fields.append(fallback[i] if value is None else value)
        texts[key] = "\t" + "\t".join(fields)
    columns = [queries.COPY_OPTIONAL[i] for i in sent]
    if unique:
        columns += queries.COPY_OPTIONAL[len(_COPY_DEFAULT_TEXT) :]
    statement = queries.copy_statement(columns)
    return _CopyBatch(statement, rows, texts, unique, sorted(queues))


def _copy_optional(opts: ResolvedOpts, now: datetime) -> tuple[str | None, ...]:
    """The text of the option columns of :data:`queries.COPY_OPTIONAL` before the unique ones
    (metadata, priority, scheduled_at, state, tags); ``None`` where River's default holds."""
    scheduled = opts.scheduled_at
    if opts.pending:
        state: str | None = "pending"
    elif scheduled is not None and scheduled > now:
        state = "scheduled"
    else:
        state = None
    return (
        json.dumps(opts.metadata, separators=(",", ":")).replace("\\", "\\\\")
        if opts.metadata
        else None,
        None if opts.priority == 1 else str(opts.priority),
        None if scheduled is None else scheduled.isoformat(),
        state,
        "{" + ",".join(f'"{tag}"' for tag in opts.tags) + "}" if opts.tags else None,
    )


_COPY_CHUNK = 100
"""Lines per write to the COPY stream: the server stores one chunk while the next is built."""
