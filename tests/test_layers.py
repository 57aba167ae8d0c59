"""The code's structure holds: the layer contract passes, and no module imports itself round a cycle."""

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("mdo", "accounts", "audit", "referrals", "triage", "meetings", "followup", "casefile", "privacy", "interop",
            "quality")


def _graph():
    sys.path.insert(0, str(ROOT))
    try:
        return grimp.build_graph(*PACKAGES, cache_dir=None)
    finally:
        sys.path.remove(str(ROOT))


def _cycles(graph):
    """Strongly connected groups of more than one module (Tarjan), migrations left out."""
    modules = {m for m in graph.modules if ".migrations" not in m}
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(module):
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in graph.find_modules_directly_imported_by(module) & modules:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = set()
            while True:
                other = stack.pop()
                on_stack.discard(other)
                group.add(other)
                if other == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_itself_round_a_cycle():
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle(tmp_path, monkeypatch):
    package = tmp_path / "cyclic"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from cyclic import b\n")
    (package / "b.py").write_text("def f():\n    from cyclic import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _cycles(grimp.build_graph("cyclic", cache_dir=None)) == [["cyclic.a", "cyclic.b"]]


@pytest.mark.server
def test_the_layer_contract_is_kept():
    result = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


def _imported(node):
    if isinstance(node, ast.ImportFrom):
        return [node.module or ""]
    return [alias.name for alias in node.names]


def _function_level_imports(path):
    """(function, line) of each import of the project's own code inside a function."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom) and any(
                        name.split(".")[0] in PACKAGES for name in _imported(inner)):
                    yield node.name, inner.lineno


# AppConfig.ready is Django's hook for code that needs the app registry: there an import inside a
# function is the pattern, not a way round a cycle. (Libraries may be imported late elsewhere,
# e.g. WeasyPrint, which takes most of a second to load and only a PDF needs.)
ALLOWED = {("accounts/apps.py", "ready"), ("meetings/apps.py", "ready"), ("casefile/apps.py", "ready"),
           ("followup/apps.py", "ready")}


def test_no_import_of_project_code_inside_a_function():
    found = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative:
                continue
            found += [(relative, name, line) for name, line in _function_level_imports(path)
                      if (relative, name) not in ALLOWED]
    assert found == []


def _readme_layers():
    """The two layer pictures of README.md ("The layers"): the apps', top first, and triage's."""
    text = (ROOT / "README.md").read_text()
    block = text.split("### The layers", 1)[1].split("```", 2)[1]
    apps, stack = [], ""
    for line in block.splitlines():
        if line.startswith(" "):
            stack += " " + line.strip()
        elif line.strip():
            names = re.match(r"[\w.]+(?:\s*\|\s*[\w.]+)*", line).group()
            apps.append({name.strip() for name in names.split("|")})
    triage = [{f"triage.{name.strip()}" for name in level.split(",")} for level in stack.split(">")]
    return apps, triage


def test_the_readme_draws_the_layers_of_the_contract():
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layers = {c["name"]: [{name.strip() for name in layer.split("|")} for layer in c["layers"]]
              for c in contracts if c["type"] == "layers"}
    apps, triage = _readme_layers()
    assert apps == layers["Apps in layers: an import points down"]
    assert triage == layers["triage/ is a stack: engine <- models <- services <- presenters"]

