"""The JSON form of facts and results (spec §4).

``facts_from_dict`` is strict: it is the boundary where data from outside (a file, a form, an
import) becomes facts, so anything it cannot read unambiguously is refused with the field named.
Choices made where the spec leaves room:
- ``kps`` must be a JSON integer: 70.0 is refused (so is ``true``, which Python counts as 1);
- numbers must be finite (Python's json module accepts NaN and Infinity; we do not);
- sanity upper bounds: dexamethasone <= 1000 mg/day, prognosis <= 1200 months, diameter
  <= 1000 mm, lesion_count <= 1000 (beyond that, "too many to count" is null);
- integers are accepted for the other numbers and stored as floats.
"""

import json
import math

from .evaluate import Result
from .facts import CRITICAL_LOCATION_SITES, FACT_NAMES, SYSTEMIC_OPTION_VALUES, Facts
from .footnotes import footnote_ref


class FactsError(ValueError):
    """A fact that cannot be read. ``field`` is the fact's name (None for the object itself)."""

    def __init__(self, field: str | None, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field if field is not None else '(root)'}: {message}")


_BOOLS = {
    "treatment_wish", "suspected_radionecrosis", "symptomatic", "on_dexamethasone",
    "prognosis_over_3_months", "critical_location", "rapid_kps_improvement_expected",
    "local_treatment_could_improve_qol", "radiotherapy_considered", "recurrence",
}
# name -> (lowest, lowest allowed itself?, highest)
_NUMBERS = {
    "dexamethasone_mg_per_day": (0, True, 1000),
    "expected_prognosis_months": (0, True, 1200),
    "max_lesion_diameter_mm": (0, False, 1000),
}
_ENUMS = {
    "critical_location_site": tuple(CRITICAL_LOCATION_SITES),
    "systemic_option_high_cerebral_response": tuple(SYSTEMIC_OPTION_VALUES),
}


def json_shown(value) -> str:
    """A value as it is written in JSON (true, null, "70", NaN), for messages to JSON authors."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)
    except RecursionError:  # parsed just within the limit, nested too deep to write out again
        return json_type(value)


def json_type(value) -> str:
    """The JSON name of a value's type: object, array, string, number, boolean or null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    for kind, name in ((dict, "object"), (list, "array"), (str, "string")):
        if isinstance(value, kind):  # the command's objects are a dict of its own
            return name
    return type(value).__name__


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse(name: str, value):
    if value is None:
        return None
    if name in _BOOLS:
        if not isinstance(value, bool):
            raise FactsError(name, f"expected true, false or null, got {json_shown(value)}")
        return value
    if name == "kps":
        if not _is_int(value):
            raise FactsError(name, f"expected an integer 0-100 in steps of 10, got {json_shown(value)}")
        if not 0 <= value <= 100 or value % 10:
            raise FactsError(name, f"expected 0-100 in steps of 10, got {json_shown(value)}")
        return value
    if name == "lesion_count":
        if not _is_int(value):
            raise FactsError(name, f"expected an integer >= 1, got {json_shown(value)}")
        if not 1 <= value <= 1000:
            raise FactsError(name, f"expected 1-1000 (null for too many to count), got {json_shown(value)}")
        return value
    if name in _NUMBERS:
        low, low_allowed, high = _NUMBERS[name]
        if not (_is_int(value) or isinstance(value, float)):
            raise FactsError(name, f"expected a number, got {json_shown(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise FactsError(name, f"expected a finite number, got {json_shown(value)}")
        if value < low or (value == low and not low_allowed) or value > high:
            bound = ">=" if low_allowed else ">"
            raise FactsError(name, f"expected a number {bound} {low} and <= {high}, got {json_shown(value)}")
        return float(value)
    choices = _ENUMS[name]
    if value not in choices or not isinstance(value, str):
        raise FactsError(name, f"expected one of {', '.join(choices)}, got {json_shown(value)}")
    return value


def facts_from_dict(data) -> Facts:
    """Facts from the JSON object of spec §4. Absent keys and null are missing facts."""
    if not isinstance(data, dict):
        raise FactsError(None, f"expected a JSON object, got {json_type(data)}")
    for key in data:
        if key not in FACT_NAMES:
            raise FactsError(str(key), "unknown fact")
    return Facts(**{name: _parse(name, data[name]) for name in FACT_NAMES if name in data})


def facts_to_dict(facts: Facts) -> dict:
    """Every fact, missing ones as None; ``facts_from_dict`` reads it back to equal facts."""
    return {name: getattr(facts, name) for name in FACT_NAMES}


def result_to_dict(result: Result, lang: str = "nl") -> dict:
    """The JSON of spec §4, exactly its keys. A step's footnote is cited at the start of its
    note, e.g. "(Bijlage 1, toelichting 3) Grootste hersenmetastase 15 mm, ..."."""
    return {
        "outcome": result.outcome,
        "forum": result.forum,
        "chart": result.chart,
        "trace": [
            {
                "node": step.node,
                "question": step.question(lang),
                "answer": step.answer,
                "note": note_with_footnote(step, lang),
            }
            for step in result.trace
        ],
        "missing": list(result.missing),
        "rule_set_version": result.rule_set_version,
    }


def note_with_footnote(step, lang: str = "nl") -> str:
    note = step.note(lang)
    if step.footnote is None:
        return note
    ref = f"({footnote_ref(step.footnote, lang)})"
    return f"{ref} {note}" if note else ref
