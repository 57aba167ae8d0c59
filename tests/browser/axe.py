"""axe-core (vendored in tests/browser/vendor/axe-core, no network needed) run on the open page.

The app's CSP blocks an injected <script> tag; Playwright's evaluate runs outside the page's
policy, so the library's source text is evaluated directly."""

from pathlib import Path

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
BLOCKING = ("serious", "critical")

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary),
  }));
}"""


def axe_violations(page):
    """The serious and critical violations axe-core finds on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in BLOCKING]


def describe(violations):
    return "\n".join(f"{v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"])
                     for v in violations)
