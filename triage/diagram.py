"""The flowcharts as inline SVG, with the route of one advice drawn on them.

Pure Python, no JavaScript, no <style> and no style="" (the pages run under a strict
Content-Security-Policy): all styling is presentation attributes. Sized for A4 portrait at page
width (180 mm); 4 user units are 1 mm, so the 13-unit text prints at about 9 pt.

Every box carries ``data-node`` (its id in ``triage.engine.NODES``) and classes: ``box`` plus
``decision`` / ``terminal`` / ``ref``; for a result also ``on-path`` (passed), ``endpoint``
(reached outcome) and ``unknown`` (a question left open by a missing fact). Arrows carry
``data-from``, ``data-to``, ``data-answer`` and ``on-path`` when taken.
"""

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from triage.engine import (
    DEFAULT_THRESHOLDS,
    NODES,
    OUTCOMES,
    Result,
    Thresholds,
    answer_word,
    format_number,
)

WIDTH = 720
_MM_PER_UNIT = 0.25
_COLUMN_X = {"L": 10, "C": 255, "R": 500}
_BOX_W = 210  # three columns with 35-unit gaps, wide enough for a "nee" label
_FONT = 13
_LINE = 15
_PAD = 8
_ROW_GAP = 30
_TOP = 38  # room for the heading
_FONT_FAMILY = "Helvetica, Arial, sans-serif"

_INK = "#1a202c"
_GREY = "#4a5568"
_FILL = {
    "decision": "#f3f6fa",
    "ref": "#ffffff",
    "NEURO_ONC_MDO": "#e3effb",
    "ORGAN_SPECIFIC_MDO": "#e6f4ea",
    "NONE": "#efefef",
}
_ON_PATH_FILL = "#fff1b8"
_UNKNOWN_FILL = "#fde8e8"
_UNKNOWN_STROKE = "#9b2c2c"

_WORDS = {
    "nl": {
        "endpoint": "▼ uitkomst",
        "A": "Stroomschema A: asymptomatische hersenmetastasen (Bijlage 1)",
        "S": "Stroomschema S: symptomatische hersenmetastasen (Bijlage 2)",
        None: "Vóór het stroomschema: behandelwens, radiatienecrose, symptomen",
        "CHART_A": "Verder in stroomschema A (asymptomatisch, Bijlage 1)",
        "CHART_S": "Verder in stroomschema S (symptomatisch, Bijlage 2)",
        "L1_KEEP": "Het advies van het stroomschema blijft staan",
        "legend_path": "gevolgde route", "legend_unknown": "ontbrekend gegeven",
        "legend_end": "uitkomst", "outcome": "Uitkomst", "route": "Route",
        "thresholds": "Drempels: KPS ≥ {kps}; prognose > {prog} maanden; diameter > {diam} mm",
    },
    "en": {
        "endpoint": "▼ outcome",
        "A": "Flowchart A: asymptomatic brain metastases (Appendix 1)",
        "S": "Flowchart S: symptomatic brain metastases (Appendix 2)",
        None: "Before the flowchart: wish for treatment, radiation necrosis, symptoms",
        "CHART_A": "On to flowchart A (asymptomatic, Appendix 1)",
        "CHART_S": "On to flowchart S (symptomatic, Appendix 2)",
        "L1_KEEP": "The flowchart's advice stands",
        "legend_path": "route taken", "legend_unknown": "missing fact",
        "legend_end": "outcome", "outcome": "Outcome", "route": "Route",
        "thresholds": "Thresholds: KPS ≥ {kps}; prognosis > {prog} months; diameter > {diam} mm",
    },
}

# (row, column, box id) per chart. CHART_A / CHART_S / L1_KEEP are reference boxes (not nodes).
_GATE_ROWS = [
    (0, "C", "P_TREATMENT_WISH"), (0, "R", "P_TREATMENT_WISH_NO"),
    (1, "C", "P_RADIONECROSIS"), (1, "R", "P_RADIONECROSIS_YES"),
    (2, "C", "P_SYMPTOMATIC"),
]
# L1 "ja" goes right, "nee" left: the arrows into L1 come down the outer columns to its top.
_LEGAL_ROWS = [(8, "C", "L1_RADIOTHERAPY_LEGAL"), (8, "L", "L1_KEEP"), (8, "R", "L1_YES")]
_LAYOUTS = {
    "A": _GATE_ROWS + [
        (2, "R", "CHART_S"),
        (3, "C", "A1"), (3, "L", "A1_NO"),
        (4, "C", "A2"), (4, "R", "A2_YES"),
        (5, "C", "A3"), (5, "R", "A3_YES"),
        (6, "C", "A4"), (6, "R", "A4_YES"),
        (7, "C", "A4_NO"),
    ] + _LEGAL_ROWS,
    "S": _GATE_ROWS + [
        (2, "R", "CHART_A"),
        (3, "C", "S1"), (3, "R", "S3"),
        (4, "C", "S2"), (4, "L", "S2_YES"),
        (5, "C", "S4"), (5, "L", "S4_YES"),
        (6, "C", "S4_NO"),
    ] + [(row - 1, col, box) for row, col, box in _LEGAL_ROWS],
    None: _GATE_ROWS + [(2, "R", "CHART_S"), (3, "C", "CHART_A")],
}

# (from, answer, to, route). Routes: "down", "side"; ("drop", dx): down from the source's
# bottom at x + dx, then sideways into the target's side; ("into_top", dx): down from the
# source's bottom, sideways above the target, down into its top at its centre + dx.
_GATE_EDGES = [
    ("P_TREATMENT_WISH", "no", "P_TREATMENT_WISH_NO", "side"),
    ("P_TREATMENT_WISH", "yes", "P_RADIONECROSIS", "down"),
    ("P_RADIONECROSIS", "yes", "P_RADIONECROSIS_YES", "side"),
    ("P_RADIONECROSIS", "no", "P_SYMPTOMATIC", "down"),
]
_LEGAL_EDGES = [
    ("L1_RADIOTHERAPY_LEGAL", "yes", "L1_YES", "side"),
    ("L1_RADIOTHERAPY_LEGAL", "no", "L1_KEEP", "side"),
]
_EDGES = {
    "A": _GATE_EDGES + [
        ("P_SYMPTOMATIC", "yes", "CHART_S", "side"),
        ("P_SYMPTOMATIC", "no", "A1", "down"),
        ("A1", "no", "A1_NO", "side"),
        ("A1", "yes", "A2", "down"),
        ("A2", "yes", "A2_YES", "side"),
        ("A2", "no", "A3", "down"),
        ("A3", "yes", "A3_YES", "side"),
        ("A3", "no", "A4", "down"),
        ("A4", "yes", "A4_YES", "side"),
        ("A4", "no", "A4_NO", "down"),
        ("A1_NO", None, "L1_RADIOTHERAPY_LEGAL", ("into_top", -50)),
        ("A4_YES", None, "L1_RADIOTHERAPY_LEGAL", ("into_top", 50)),
    ] + _LEGAL_EDGES,
    "S": _GATE_EDGES + [
        ("P_SYMPTOMATIC", "no", "CHART_A", "side"),
        ("P_SYMPTOMATIC", "yes", "S1", "down"),
        ("S1", "yes", "S2", "down"),
        ("S1", "no", "S3", "side"),
        ("S3", "yes", "S2", ("drop", 40)),
        ("S3", "no", "S4", ("drop", 180)),
        ("S2", "yes", "S2_YES", "side"),
        ("S2", "no", "S4", "down"),
        ("S4", "yes", "S4_YES", "side"),
        ("S4", "no", "S4_NO", "down"),
        ("S4_NO", None, "L1_RADIOTHERAPY_LEGAL", "down"),
    ] + _LEGAL_EDGES,
    None: _GATE_EDGES + [
        ("P_SYMPTOMATIC", "yes", "CHART_S", "side"),
        ("P_SYMPTOMATIC", "no", "CHART_A", "down"),
    ],
}


@dataclass
class _Box:
    id: str
    kind: str  # "decision" | "terminal" | "ref"
    lines: list[str]
    x: float
    y: float = 0
    h: float = 0

    @property
    def cx(self):
        return self.x + _BOX_W / 2

    @property
    def cy(self):
        return self.y + self.h / 2

    @property
    def bottom(self):
        return self.y + self.h


def render_svg(chart: str | None, result: Result | None = None, lang: str = "nl",
               thresholds: Thresholds | None = None) -> str:
    """The chart ("A", "S", or None for the gates alone) as an SVG string, with the route of
    ``result`` marked. Questions show ``thresholds`` (default: the result's, else spec §1)."""
    if chart not in _LAYOUTS:
        raise ValueError(f"unknown chart {chart!r}")
    if lang not in _WORDS:
        raise ValueError(f"unsupported language {lang!r}")
    words = _WORDS[lang]
    if thresholds is None:
        thresholds = result.thresholds if result is not None else DEFAULT_THRESHOLDS
    boxes = _place(chart, lang, thresholds)
    state = _RouteState(result)

    height = max(box.bottom for box in boxes.values()) + 24 + (2 * _LINE + 20)
    title = words[chart]
    if result is not None:
        title += f" — {words['outcome']}: {OUTCOMES[result.outcome].label(lang)}"
    out = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_n(height)}" '
         f'width="{_n(WIDTH * _MM_PER_UNIT)}mm" height="{_n(height * _MM_PER_UNIT)}mm" '
         f'role="img" class="triage-chart" data-chart={quoteattr(chart or "")} '
         f'font-family={quoteattr(_FONT_FAMILY)} font-size="{_FONT}">'),
        f"<title>{escape(title)}</title>",
    ]
    if result is not None:
        route = "; ".join(
            f"{step.node}: {answer_word(step.answer, lang)}"
            for step in result.trace
        )
        out.append(f"<desc>{escape(words['route'])}: {escape(route)}</desc>")
    out.append(f'<text x="10" y="26" font-size="16" font-weight="bold" '
               f'fill="{_INK}">{escape(words[chart])}</text>')
    for source, answer, target, route in _EDGES[chart]:
        out.append(_edge(boxes[source], answer, boxes[target], route, state, lang))
    for box in boxes.values():
        out.append(_box(box, state, words))
    out.append(_footer(height, thresholds, lang, result is not None))
    out.append("</svg>")
    return "\n".join(out)


def render_svg_for_result(result: Result, lang: str = "nl") -> str:
    """The chart the result went through; the gates alone when it never reached one."""
    return render_svg(result.chart, result, lang)


class _RouteState:
    """Which boxes and arrows a result passed."""

    def __init__(self, result: Result | None):
        self.on_path: set[str] = set()
        self.unknown: set[str] = set()
        self.endpoints: set[str] = set(result.endpoints) if result else set()
        self.edges: set[tuple[str, str | None]] = set()
        if result is None:
            return
        for step in result.trace:
            self.on_path.add(step.node)
            if step.answer == "unknown":
                self.unknown.add(step.node)
                continue
            self.edges.add((step.node, step.answer))
            node = NODES.get(step.node)
            target = getattr(node, step.answer, None) if node is not None else None
            if step.node == "P_SYMPTOMATIC":
                target = "CHART_S" if step.answer == "yes" else "CHART_A"
            elif step.node == "L1_RADIOTHERAPY_LEGAL" and step.answer == "no":
                target = "L1_KEEP"
            if target is not None:
                self.on_path.add(target)
        self.on_path |= self.endpoints
        if "L1_RADIOTHERAPY_LEGAL" in self.on_path:
            for box_id in list(self.on_path):
                if getattr(NODES.get(box_id), "then", None) == "L1_RADIOTHERAPY_LEGAL":
                    self.edges.add((box_id, None))


def _place(chart, lang, thresholds) -> dict[str, _Box]:
    rows: dict[int, list[_Box]] = {}
    for row, column, box_id in _LAYOUTS[chart]:
        kind, text = _box_text(box_id, chart, lang, thresholds)
        lines = _wrap(text, _BOX_W - 2 * _PAD)
        rows.setdefault(row, []).append(_Box(box_id, kind, lines, _COLUMN_X[column]))
    y = _TOP
    boxes = {}
    for row in sorted(rows):
        row_height = max(len(box.lines) * _LINE + 2 * _PAD for box in rows[row])
        for box in rows[row]:
            box.h = len(box.lines) * _LINE + 2 * _PAD
            box.y = y + (row_height - box.h) / 2  # centred in the row: side arrows stay level
            boxes[box.id] = box
        y += row_height + _ROW_GAP
    return boxes


def _box_text(box_id, chart, lang, thresholds) -> tuple[str, str]:
    if box_id in ("CHART_A", "CHART_S", "L1_KEEP"):
        return "ref", _WORDS[lang][box_id]
    node = NODES[box_id]
    if node.kind == "decision":
        text = node.question(lang, thresholds)
    else:
        text = OUTCOMES[node.outcome].label(lang)
    mark = _footnote_mark(node.footnote, chart)
    return node.kind, f"{text} {mark}" if mark else text


def _footnote_mark(key, chart):
    # The numbered notes of this chart's appendix print as in the guideline's boxes: "(3)".
    # Another appendix's note number would be misread, so it is left out.
    if key and chart and key[0] == chart and key[1:].isdigit():
        return f"({key[1:]})"
    return ""


def _wrap(text: str, width: float) -> list[str]:
    """Greedy word wrap by an estimated glyph width (a sans-serif averages ~0.55 em)."""
    limit = max(8, int(width / (_FONT * 0.56)))
    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= limit or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines or [""]


def _box(box: _Box, state: _RouteState, words) -> str:
    classes = ["box", box.kind]
    fill = _FILL["decision"] if box.kind == "decision" else _FILL["ref"]
    if box.kind == "terminal":
        fill = _FILL.get(OUTCOMES[NODES[box.id].outcome].forum, "#ffffff")
    stroke, stroke_width, dash = _GREY, 1.5, None
    if box.kind == "ref":
        stroke, dash = "#9aa5b1", "4 3"
    if box.id in state.on_path:
        classes.append("on-path")
        fill, stroke, stroke_width = _ON_PATH_FILL, _INK, 3
    if box.id in state.unknown:
        classes.append("unknown")
        fill, stroke, stroke_width, dash = _UNKNOWN_FILL, _UNKNOWN_STROKE, 3, "7 4"
    is_end = box.id in state.endpoints
    if is_end:
        classes.append("endpoint")
        stroke, stroke_width = "#000000", 5
    radius = 14 if box.kind == "terminal" else 3
    parts = [
        f'<g class="{" ".join(classes)}" data-node={quoteattr(box.id)}>',
        f'<rect x="{_n(box.x)}" y="{_n(box.y)}" width="{_BOX_W}" height="{_n(box.h)}" '
        f'rx="{radius}" fill="{fill}" stroke="{stroke}" stroke-width="{_n(stroke_width)}"'
        + (f' stroke-dasharray="{dash}"' if dash else "") + "/>",
    ]
    first_y = box.y + _PAD + _LINE - 4
    tspans = "".join(
        f'<tspan x="{_n(box.cx)}" y="{_n(first_y + i * _LINE)}">{escape(line)}</tspan>'
        for i, line in enumerate(box.lines)
    )
    weight = ' font-weight="bold"' if box.kind == "terminal" else ""
    parts.append(f'<text text-anchor="middle" fill="{_INK}"{weight}>{tspans}</text>')
    if is_end:
        parts.append(
            f'<text x="{_n(box.x + _BOX_W)}" y="{_n(box.y - 6)}" text-anchor="end" '
            f'font-weight="bold" fill="#000000">{escape(words["endpoint"])}</text>'
        )
    parts.append("</g>")
    return "".join(parts)


def _edge(source: _Box, answer, target: _Box, route, state: _RouteState, lang) -> str:
    points = _route_points(source, target, route)
    taken = (source.id, answer) in state.edges
    colour, width = (_INK, 3.5) if taken else ("#718096", 1.5)
    classes = "edge on-path" if taken else "edge"
    path = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
    parts = [
        (f'<g class="{classes}" data-from={quoteattr(source.id)} data-to={quoteattr(target.id)} '
         f'data-answer={quoteattr(answer or "")}>'),
        f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="{_n(width)}"/>',
        _arrowhead(points[-2], points[-1], colour),
    ]
    if answer is not None:
        (x0, y0), (x1, _) = points[0], points[1]
        if x0 == x1:  # leaves downwards: label beside the line
            lx, ly, anchor = x0 + 6, y0 + 15, "start"
        else:  # leaves sideways: label above the line
            lx, ly = x0 + (10 if x1 > x0 else -10), y0 - 6
            anchor = "start" if x1 > x0 else "end"
        parts.append(
            f'<text x="{_n(lx)}" y="{_n(ly)}" text-anchor="{anchor}" font-weight="bold" '
            f'fill="{colour}">{escape(answer_word(answer, lang))}</text>'
        )
    parts.append("</g>")
    return "".join(parts)


def _route_points(source: _Box, target: _Box, route):
    if route == "down":
        return [(source.cx, source.bottom), (target.cx, target.y)]
    if route == "side":
        if target.x > source.x:
            return [(source.x + _BOX_W, source.cy), (target.x, target.cy)]
        return [(source.x, source.cy), (target.x + _BOX_W, target.cy)]
    kind, dx = route
    if kind == "drop":
        x = source.x + dx
        side = target.x + _BOX_W if target.x < source.x else target.x
        return [(x, source.bottom), (x, target.cy), (side, target.cy)]
    # "into_top": enter the target from above, beside its centre
    above = target.y - 18
    return [(source.cx, source.bottom), (source.cx, above), (target.cx + dx, above),
            (target.cx + dx, target.y)]


def _arrowhead(start, end, colour) -> str:
    (x0, y0), (x1, y1) = start, end
    if x0 == x1:
        direction = 1 if y1 > y0 else -1
        points = [(x1, y1), (x1 - 5, y1 - 9 * direction), (x1 + 5, y1 - 9 * direction)]
    else:
        direction = 1 if x1 > x0 else -1
        points = [(x1, y1), (x1 - 9 * direction, y1 - 5), (x1 - 9 * direction, y1 + 5)]
    text = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
    return f'<polygon points="{text}" fill="{colour}"/>'


def _footer(height, thresholds: Thresholds, lang: str, with_legend: bool) -> str:
    words = _WORDS[lang]
    y = height - 2 * _LINE - 8
    summary = words["thresholds"].format(
        kps=format_number(thresholds.kps_min),
        prog=format_number(thresholds.prognosis_months, lang),
        diam=format_number(thresholds.diameter_mm, lang),
    )
    parts = [f'<text x="10" y="{_n(y)}" fill="{_GREY}">{escape(summary)}</text>']
    if with_legend:
        y += _LINE + 8
        x = 10
        for label, fill, stroke, width, dash in (
            (words["legend_path"], _ON_PATH_FILL, _INK, 3, None),
            (words["legend_unknown"], _UNKNOWN_FILL, _UNKNOWN_STROKE, 3, "7 4"),
            (words["legend_end"], "#ffffff", "#000000", 5, None),
        ):
            parts.append(
                f'<rect x="{x}" y="{_n(y - 12)}" width="28" height="16" fill="{fill}" '
                f'stroke="{stroke}" stroke-width="{width}"'
                + (f' stroke-dasharray="{dash}"' if dash else "") + "/>"
                + f'<text x="{x + 36}" y="{_n(y + 1)}" fill="{_INK}">{escape(label)}</text>'
            )
            x += 235
    return f'<g class="legend">{"".join(parts)}</g>'


def _n(value) -> str:
    """Coordinates without float noise: 12.0 -> "12", 12.5 -> "12.5"."""
    value = round(float(value), 2)
    return str(int(value)) if value.is_integer() else f"{value:g}"
