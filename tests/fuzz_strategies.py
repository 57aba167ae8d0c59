"""Hypothesis strategies for hostile input: form posts and JSON facts for the triage command.

A form post starts from values that would pass, then spoils some of them: a value replaced by
something hostile (overlong, NUL bytes, odd Unicode, negative or huge numbers, impossible dates,
markup, a value of another field), a field left out, a field sent twice, a file where text was
expected, fields nobody asked for. Starting from a valid post lets the fuzzer reach the code
behind the first validation error, where the interesting failures are.
"""

import json
import string

from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import strategies as st

from triage.engine.facts import FACT_NAMES as ENGINE_FACT_NAMES

# Texts that have broken web applications before.
ODD_TEXT = [
    "", " ", "\t", "\r\n", "\n\n\n", "\x00", "a\x00b", "\x00" * 20, "\x7f", "\x1b[31m", "\x08",
    "\u202e", "\u200b\u200c\u200d", "\ufeff", "\ufffd", "\uffff", "e\u0301\u0301\u0301", "ǅ", "ß", "İı",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "👩‍⚕️🧠", "🏳️‍🌈" * 30, "Ⅻ", "٨٠", "８０", "१००", "½", "²", "−10", "Ｚ１２３",
    "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "{{ 7*7 }}", "{% debug %}",
    "' OR '1'='1", "'; DROP TABLE referrals_case; --", "%s%s%s%n", "%(who)s", "{0}", "${jndi:x}",
    "../../etc/passwd", "C:\\con\\aux", "null", "None", "undefined", "NaN", "true", "[]", "{}",
    "javascript:alert(1)", "//evil.example.org", "http://evil.example.org/", "\\\\evil", "/\\evil",
    "mailto:x@example.org", "data:text/html,<b>x</b>",
]

NUMBERS = [
    "0", "-0", "1", "-1", "10", "80", "75", "100", "101", "-10", "64", "64.5", "65", "150", "151",
    "240", "241", "32767", "32768", "65535", "2147483647", "2147483648", "-2147483649",
    "9223372036854775807", "9223372036854775808", "-9223372036854775809", "1" + "0" * 40,
    "9" * 4300, "9" * 5000, "1e3", "1e309", "-1e309", "inf", "-inf", "nan", "0x50", "0o120", "8_0",
    "80.0", "80.", ".5", "4,5", "4.55", "+80", " 80 ", "80 ", "٨٠", "８０", "1/2", "3.4028235e38",
    "0.0000000000000000000001", "Infinity", "-Infinity",
]

DATES = [
    "2024-02-30", "2023-02-29", "2024-13-01", "0000-00-00", "0001-01-01", "1000-01-01", "1899-12-31",
    "1900-01-01", "9999-12-31", "10000-01-01", "31-12-2024", "12/31/2024", "2024/01/01", "20240101",
    "2024-01-01T00:00:00", "2024-1-1", "  2024-01-01  ", "today", "-2024-01-01", "2099-01-01",
]

TIMES = ["00:00", "23:59", "24:00", "25:61", "16:00:00", "4pm", "16.00", "-1:00", "99999:00"]


def overlong(max_repeat=3000):
    """Long texts, cheap to generate: a short piece repeated."""
    return st.builds(lambda piece, times: piece * times,
                     st.sampled_from(["a", "9", "é", "𝔘", "\x00", "<", " ", "ab\r\n", "ß", "\u202e"]),
                     st.integers(min_value=101, max_value=max_repeat))


def with_nul():
    return st.builds(lambda left, right: f"{left}\x00{right}", st.text(max_size=8), st.text(max_size=8))


HOSTILE_TEXT = st.one_of(
    st.sampled_from(ODD_TEXT),
    st.sampled_from(NUMBERS),
    st.sampled_from(DATES),
    st.sampled_from(TIMES),
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=20),
    overlong(),
    with_nul(),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def hostile_text():
    return HOSTILE_TEXT


MISSING = object()
SHAPES = st.sampled_from(["plain"] * 8 + ["twice", "file"])
EXTRA_NAMES = st.text(alphabet=string.ascii_letters + "_-[].", min_size=1, max_size=12)


def form_post(valid, *, choices=None, extra=()):
    """Dicts for the test client: `valid` spoiled here and there.

    Mostly one or two fields are spoiled and the rest stay valid, so that the post gets past
    the form to the service function; sometimes every field is drawn at random. `choices` maps
    a field to other values it may take (other options, boundary values), so that every branch
    of the form's logic is reached. A value may become a list (the field sent twice) or a file."""
    choices = choices or {}
    names = list(valid)
    pool = [str(v) for v in valid.values() if v is not None and str(v)]
    others = st.sampled_from(pool) if pool else HOSTILE_TEXT
    kept, spoilt = {}, {}
    for name, value in valid.items():
        legit = st.sampled_from([str(value)] + [str(c) for c in choices.get(name, ())])
        kept[name] = legit
        spoilt[name] = st.one_of(legit, legit, legit, HOSTILE_TEXT, others, st.just(MISSING))
    modes = st.sampled_from(["few"] * 6 + ["all"] * 2 + ["none"])
    few = st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True) if names else st.just([])
    extras = st.lists(st.sampled_from(list(extra) or ["x"]), max_size=2, unique=True)

    @st.composite
    def posts(draw):
        mode = draw(modes)
        spoiled = set(draw(few)) if mode == "few" else set(names) if mode == "all" else set()
        data = {}
        for name, value in valid.items():
            if name not in spoiled:
                data[name] = draw(kept[name]) if draw(st.integers(0, 3)) == 0 else str(value)
                continue
            picked = draw(spoilt[name])
            if picked is MISSING:
                continue
            shape = draw(SHAPES)
            if shape == "twice":
                picked = [picked, draw(st.one_of(kept[name], HOSTILE_TEXT))]
            elif shape == "file":
                picked = SimpleUploadedFile(f"{name}.txt", picked.encode("utf-8", "surrogatepass"))
            data[name] = picked
        for name in draw(extras):
            data[name] = draw(HOSTILE_TEXT)
        if draw(st.integers(0, 1)):
            data[draw(EXTRA_NAMES)] = draw(HOSTILE_TEXT)
        return data

    return posts()


ENCODINGS = st.sampled_from(["multipart"] * 3 + ["urlencoded"] * 3 + ["raw"])


@st.composite
def raw_body(draw):
    """A body no browser would send: bytes that are not UTF-8, broken percent-escapes, too many
    fields."""
    return draw(st.one_of(
        st.binary(max_size=200),
        st.sampled_from([b"%FF%FE=%00%ED%A0%80", b"a=%", b"a=%zz&&&==&b", b"=" * 50, b"&" * 2000,
                         b"version=1&version=2&version=%C0%AF", b"\xff\xfe\x00a\x00=\x00"]),
        st.integers(min_value=1001, max_value=1200).map(lambda n: b"&".join(b"f%d=1" % i for i in range(n))),
    ))


# --- JSON facts for `manage.py triage` ------------------------------------------------------------

FACT_NAMES = list(ENGINE_FACT_NAMES)

JSON_SCALARS = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(ODD_TEXT),
    st.sampled_from([0, 10, 70, 80, 100, 3, 12, 14, 10.0, 70.0, "80", "yes", "true", "brainstem", "high",
                     "none", "low", "unknown"]),
)


def json_values(max_leaves=12):
    return st.recursive(JSON_SCALARS, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
        max_leaves=max_leaves)


JSON_VALUES = json_values()
FACT_VALUE = st.one_of(JSON_SCALARS, JSON_SCALARS, json_values(4))
UNKNOWN_KEY = st.text(max_size=12)


@st.composite
def facts_object(draw):
    """A facts object: real fact names with values of any type, sometimes unknown keys."""
    names = draw(st.lists(st.sampled_from(FACT_NAMES), max_size=len(FACT_NAMES), unique=True))
    obj = {name: draw(FACT_VALUE) for name in names}
    if draw(st.integers(0, 9)) == 0:
        obj[draw(UNKNOWN_KEY)] = draw(JSON_SCALARS)
    return obj


FACTS_OBJECT = facts_object()


def _dumps(value):
    return json.dumps(value, allow_nan=True, ensure_ascii=False)


JSON_KINDS = st.sampled_from(["object"] * 5 + ["array"] * 3
                             + ["any", "duplicate", "deep", "broken", "garbage", "bigint"])
FACT_NAME = st.sampled_from(FACT_NAMES)
ARRAYS = st.lists(st.one_of(FACTS_OBJECT, JSON_SCALARS), max_size=5)
DEPTHS = st.integers(min_value=50, max_value=3000)
NESTINGS = st.sampled_from([("[", "]"), ('{"kps": ', "}"), ('[{"a": ', "}]")])
INNERMOST = st.sampled_from(["1", "null", '"x"'])
DIGITS = st.integers(min_value=4000, max_value=5000)
TAILS = st.sampled_from(["", "}", ",", "\x00", "NaN", "// x", "'a'", "\ufeff"])
GARBAGE = st.one_of(st.text(max_size=50), st.sampled_from(["", " ", "\ufeff{}", "{}{}", "[]]", "\x00"]))


@st.composite
def hostile_json_text(draw):
    """The text of a JSON file: mostly JSON, sometimes broken, duplicated keys, deep nesting."""
    kind = draw(JSON_KINDS)
    if kind == "object":
        return _dumps(draw(FACTS_OBJECT))
    if kind == "array":
        return _dumps(draw(ARRAYS))
    if kind == "any":
        return _dumps(draw(JSON_VALUES))
    if kind == "duplicate":
        name = draw(FACT_NAME)
        body = _dumps(draw(FACTS_OBJECT))[1:-1]
        pair = f'"{name}": {_dumps(draw(JSON_SCALARS))}, "{name}": {_dumps(draw(JSON_SCALARS))}'
        return "{" + pair + (", " + body if body else "") + "}"
    if kind == "deep":
        depth = draw(DEPTHS)
        opener, closer = draw(NESTINGS)
        return opener * depth + draw(INNERMOST) + closer * depth
    if kind == "bigint":
        return '{"kps": ' + "9" * draw(DIGITS) + "}"
    if kind == "broken":
        text = _dumps(draw(FACTS_OBJECT))
        cut = draw(st.integers(min_value=0, max_value=len(text)))
        return text[:cut] + draw(TAILS)
    return draw(GARBAGE)
