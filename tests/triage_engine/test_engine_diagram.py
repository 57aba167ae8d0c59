"""triage.diagram: the flowcharts as inline SVG, with a result's route marked."""

import re
import xml.etree.ElementTree as ET

import pytest

from triage.diagram import render_svg, render_svg_for_result
from triage.engine import (
    CHARTS,
    DEFAULT_THRESHOLDS,
    GATES,
    LEGAL_RULE,
    Facts,
    Result,
    Thresholds,
    TraceStep,
    evaluate,
)

SVG = "{http://www.w3.org/2000/svg}"
A = {"treatment_wish": True, "suspected_radionecrosis": False, "symptomatic": False, "kps": 80,
         "expected_prognosis_months": 6, "critical_location": False, "max_lesion_diameter_mm": 8,
         "systemic_option_high_cerebral_response": "yes", "radiotherapy_considered": True}
S = {"treatment_wish": True, "suspected_radionecrosis": False, "symptomatic": True, "kps": 50,
         "rapid_kps_improvement_expected": True, "expected_prognosis_months": 2,
         "local_treatment_could_improve_qol": True}


def parse(svg):
    return ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted data


def boxes(root):
    return {g.get("data-node"): g for g in root.iter(f"{SVG}g") if g.get("data-node")}


def classes(element):
    return set(element.get("class", "").split())


@pytest.mark.parametrize("chart", sorted(CHARTS))
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_box_of_the_chart_is_drawn(chart, lang):
    svg = render_svg(chart, lang=lang)
    assert svg.startswith("<svg")
    root = parse(svg)
    assert root.get("viewBox")
    assert root.get("role") == "img"
    assert root[0].tag == f"{SVG}title" and root[0].text
    drawn = boxes(root)
    for node in CHARTS[chart] + GATES + LEGAL_RULE:
        assert node in drawn, node
        assert "box" in classes(drawn[node])


def test_it_is_printable_on_a4_at_page_width():
    root = parse(render_svg("A"))
    assert root.get("width") == "180mm"
    width = float(root.get("viewBox").split()[2])
    mm_per_unit = 180 / width
    sizes = [float(el.get("font-size")) for el in root.iter() if el.get("font-size")]
    assert sizes
    assert min(sizes) * mm_per_unit >= 9 * 25.4 / 72 * 0.99  # at least 9 pt
    height_mm = float(root.get("height").removesuffix("mm"))
    assert height_mm <= 267  # fits an A4 page with margins


@pytest.mark.parametrize("chart", ["A", "S", None])
def test_no_style_element_no_style_attribute_no_script(chart):
    svg = render_svg(chart, evaluate(Facts(**A)))
    root = parse(svg)
    for element in root.iter():
        assert element.tag not in (f"{SVG}style", f"{SVG}script", f"{SVG}foreignObject")
        assert "style" not in element.attrib
        assert not any(name.startswith("on") for name in element.attrib)
    assert "<style" not in svg and "javascript:" not in svg


def test_the_route_of_a_result_is_marked():
    result = evaluate(Facts(**A))
    assert result.outcome == "NEURO_ONC_MDO_LEGAL"
    root = parse(render_svg_for_result(result))
    drawn = boxes(root)
    route = {step.node for step in result.trace} | {"A4_YES", "L1_YES"}
    for node, element in drawn.items():
        assert ("on-path" in classes(element)) is (node in route), node
    assert "endpoint" in classes(drawn["L1_YES"])
    assert "endpoint" not in classes(drawn["A4_YES"])
    assert "▼ uitkomst" in "".join(drawn["L1_YES"].itertext())

    taken = {(g.get("data-from"), g.get("data-answer") or None)
             for g in root.iter(f"{SVG}g") if "on-path" in classes(g) and g.get("data-from")}
    assert taken == {(step.node, step.answer) for step in result.trace} | {("A4_YES", None)}
    # A box on the route is drawn heavier than one off it.
    on = drawn["A1"].find(f"{SVG}rect")
    off = drawn["A2_YES"].find(f"{SVG}rect")
    assert float(on.get("stroke-width")) > float(off.get("stroke-width"))


def test_unknown_answers_and_several_endpoints_are_marked():
    result = evaluate(Facts(**{**A, "critical_location": None, "max_lesion_diameter_mm": 15}))
    assert result.endpoints == ("A2_YES", "A3_YES")
    drawn = boxes(parse(render_svg_for_result(result, "en")))
    assert "unknown" in classes(drawn["A2"])
    assert drawn["A2"].find(f"{SVG}rect").get("stroke-dasharray")
    assert {"endpoint", "on-path"} <= classes(drawn["A2_YES"])
    assert {"endpoint", "on-path"} <= classes(drawn["A3_YES"])
    assert "▼ outcome" in "".join(drawn["A3_YES"].itertext())


def test_chart_s_route():
    result = evaluate(Facts(**S))
    assert result.outcome == "NEURO_ONC_MDO_QOL"
    root = parse(render_svg_for_result(result))
    assert root.get("data-chart") == "S"
    drawn = boxes(root)
    for node in ("S1", "S3", "S2", "S4", "S4_YES"):
        assert "on-path" in classes(drawn[node])
    assert "on-path" not in classes(drawn["S2_YES"])
    assert "endpoint" in classes(drawn["S4_YES"])


def test_a_result_before_the_charts_draws_the_gates_only():
    result = evaluate(Facts(treatment_wish=True, suspected_radionecrosis=True))
    root = parse(render_svg_for_result(result))
    drawn = boxes(root)
    assert set(GATES) <= set(drawn)
    assert "A1" not in drawn and "S1" not in drawn
    assert "endpoint" in classes(drawn["P_RADIONECROSIS_YES"])


def test_questions_show_the_thresholds():
    svg = render_svg("A", thresholds=Thresholds(kps_min=60, diameter_mm=12.5))
    assert "KPS ≥ 60" in svg
    assert "12,5 mm" in svg
    result = evaluate(Facts(**A), Thresholds(kps_min=80))
    assert "KPS ≥ 80" in render_svg_for_result(result)


def test_text_is_escaped():
    odd = Result(
        outcome="NEURO_ONC_MDO", forum="NEURO_ONC_MDO", chart="A",
        trace=(TraceStep("<A1 & \"x\">", "q", "q", "yes", None, "", ""),),
        missing=(), deciding=(), endpoints=("A2_YES",), rule_set_version="v",
        thresholds=DEFAULT_THRESHOLDS,
    )
    svg = render_svg_for_result(odd)
    parse(svg)
    assert "&lt;A1 &amp; \"x\"&gt;" in svg or "&lt;A1 &amp; &quot;x&quot;&gt;" in svg
    assert "<A1" not in svg


def test_it_is_deterministic():
    result = evaluate(Facts(**S))
    assert render_svg_for_result(result) == render_svg_for_result(result)


def test_arrows_are_labelled_yes_and_no():
    svg = render_svg("S", lang="nl")
    assert len(re.findall(r">ja</text>", svg)) >= 6
    assert len(re.findall(r">nee</text>", svg)) >= 6
    assert ">yes</text>" in render_svg("S", lang="en")


def test_an_unknown_chart_or_language_is_refused():
    with pytest.raises(ValueError):
        render_svg("B")
    with pytest.raises(ValueError):
        render_svg("A", lang="de")
