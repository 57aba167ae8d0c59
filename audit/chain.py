"""The hash chain of an append-only log: the canonical form of a row and the link to the previous one.

Each row of the access log and of the event log carries `chain_hash`:

    chain_hash = SHA-256( previous_hash + "\\n" + canonical(row) ), as 64 lower-case hex digits

where previous_hash is the chain_hash of the row before it in id order (as ASCII hex), and for the
first row the anchor of the chain (GENESIS, 64 zeros, unless a retention purge moved it; see
docs/audit-chain.md). canonical(row) is UTF-8 JSON of one object:

* keys: the attribute names of the row's fields as listed in SPECS below (every column except `id`
  and `chain_hash`; foreign keys by their column, `user_id`), sorted (JSON `sort_keys`); no
  whitespace (separators `,` and `:`); non-ASCII characters as themselves (ensure_ascii off);
* datetimes in UTC as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (always six digits of microseconds);
* UUIDs (the keys of patients and cases) as 36 lower-case characters with hyphens;
* integer keys (users) as JSON numbers;
* IP addresses fully written out (`ipaddress.ip_address(value).exploded`), so `::1` and
  `0:0:0:0:0:0:0:1` and what PostgreSQL's inet gives back are one text;
* JSON data (Event.data) as itself, objects with sorted keys at every depth;
* other values as their text; None (SQL NULL) as `null`.

The id is not hashed: the chain itself fixes the order. Pure Python, no database.
"""

import datetime
import functools
import hashlib
import ipaddress
import json
import uuid

GENESIS = "0" * 64
EXCLUDED = ("id", "chain_hash")  # the columns not hashed


def _datetime(value):
    if value.tzinfo is None:
        raise ValueError("audit rows carry aware datetimes (USE_TZ)")
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _uuid(value):
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


@functools.lru_cache(maxsize=65536)  # few distinct addresses, parsed once each (verify_audit's speed)
def _ip(value):
    return ipaddress.ip_address(value).exploded


# The hashed fields of each log, sorted by name: fixed here, not read from the model, so a column
# added later does not change the canonical form of the rows already written (a test checks that
# every column is either here or deliberately left out).
SPECS = {
    "audit.accesslog": (
        ("action", str), ("at", _datetime), ("case_id", _uuid), ("client_ip", _ip), ("object_id", str),
        ("object_type", str), ("on_behalf_of", str), ("patient_id", _uuid), ("result", str), ("role", str),
        ("user_id", int), ("username", str),
    ),
    "audit.event": (
        ("action", str), ("at", _datetime), ("case_id", _uuid), ("client_ip", _ip), ("data", None),
        ("object_id", str), ("object_type", str), ("user_id", int),
    ),
}


def fields(model):
    """(attname, converter) of the hashed fields of `model`'s log, in canonical (sorted) order."""
    return SPECS[model._meta.label_lower]


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(spec, values):
    """The canonical bytes of one row; `values` in the order of `spec` (see fields())."""
    row = {}
    for (name, convert), value in zip(spec, values, strict=True):
        row[name] = value if value is None or convert is None else convert(value)
    return _ENCODER.encode(row).encode()


def link(previous, canonical_bytes):
    return hashlib.sha256(previous.encode("ascii") + b"\n" + canonical_bytes).hexdigest()


def hashes(spec, previous, rows):
    """The chain hashes of `rows` (mappings by attname) appended after `previous`, in order."""
    names = [name for name, _convert in spec]
    result = []
    for row in rows:
        previous = link(previous, canonical(spec, [row.get(name) for name in names]))
        result.append(previous)
    return result
