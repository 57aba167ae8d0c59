"""Walking a log's hash chain: the first row whose hash does not follow, if any.

Streams the rows in id order (a server-side cursor on PostgreSQL, in chunks) as plain tuples, so
memory stays flat for millions of rows. The head is read before the rows: rows appended while
the walk runs are checked too but cannot make the head look wrong.
"""

from dataclasses import dataclass

from django.db import transaction

from audit import chain
from audit.models import AccessLog, ChainHead, Event

LOGS = (AccessLog, Event)


@dataclass(frozen=True)
class Break:
    log: str
    row_id: int | None  # the first row that does not verify; None when rows at the end are missing
    reason: str

    def __str__(self):
        where = f"row id {self.row_id}" if self.row_id is not None else "the end of the chain"
        return f"{self.log}: chain broken at {where}: {self.reason}"


@dataclass(frozen=True)
class Walked:
    log: str
    rows: int
    broken: Break | None
    last: str = chain.GENESIS  # the hash of the last row verified: worth writing down elsewhere


def walk(model, chunk_size=20_000):
    log = model._meta.label_lower
    spec = model.chain_spec()
    names = [name for name, _convert in spec]
    with transaction.atomic():  # PostgreSQL: a plain server-side cursor, not one materialised WITH HOLD
        head = ChainHead.objects.filter(log=log).first()
        head_count, head_hash = (head.count, head.hash) if head else (0, chain.GENESIS)
        previous, previous_id, n = (head.anchor if head else chain.GENESIS), None, 0
        rows = model.objects.order_by("id").values_list("id", "chain_hash", *names).iterator(chunk_size=chunk_size)
        for row in rows:
            expected = chain.link(previous, chain.canonical(spec, row[2:]))
            if row[1] != expected:
                return Walked(log, n, Break(log, row[0], _why(previous_id, row[0], row[1])))
            n += 1
            if n == head_count and expected != head_hash:
                return Walked(log, n, Break(log, row[0], (
                    f"it is row {n} of the chain, where the chain head ends, but the head records another "
                    "hash: the rows were rewritten with a new chain, or the head was changed")))
            previous, previous_id = expected, row[0]
    if n < head_count:
        return Walked(log, n, Break(log, None, (
            f"the chain head records {head_count} rows, the table holds {n}: the last "
            f"{head_count - n} rows (after row id {previous_id}) were removed")))
    return Walked(log, n, None, previous)


def _why(previous_id, row_id, stored):
    if not stored:
        return "it has no chain hash"
    if previous_id is None:
        return "its hash does not follow from the start of the chain: it was changed, or rows before it were removed"
    gap = f"; ids {previous_id + 1} to {row_id - 1} are absent" if row_id - previous_id > 1 else ""
    return (f"its hash does not follow from the previous row (id {previous_id}): this row was changed, "
            f"or a row between them was removed{gap}")
