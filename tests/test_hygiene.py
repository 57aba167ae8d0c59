"""Dependencies are pinned exactly, direct and indirect, and the tested environment is the pinned one."""

import re
from importlib.metadata import distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[a-z,]+\])?==[0-9][^\s;]*$")


def requirement_lines(name):
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            yield line


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_requirement_is_pinned_exactly():
    for name in ("requirements.txt", "requirements-dev.txt", "requirements-constraints.txt"):
        for line in requirement_lines(name):
            if line.startswith(("-r ", "-c ")):
                assert (ROOT / line.split()[1]).exists(), line
                continue
            assert PIN.match(line), f"{name}: {line!r} is not pinned with =="


def test_the_constraints_pin_every_installed_package_at_its_installed_version():
    pinned = {}
    for line in requirement_lines("requirements-constraints.txt"):
        package, version = line.split("==")
        pinned[canonical(package)] = version
    installed = {canonical(d.metadata["Name"]): d.version for d in distributions()}
    installed = {k: v for k, v in installed.items() if k not in {"pip", "setuptools", "wheel"}}
    assert installed == pinned
    assert "-c requirements-constraints.txt" in (ROOT / "requirements.txt").read_text()


def test_the_benchmark_scripts_import_what_exists():
    """The benchmarks run rarely (minutes on PostgreSQL); a module moved by a refactoring must not
    break them unnoticed (prepare.py imported synthetic_data from its old app)."""
    import ast
    import importlib

    project = {"accounts", "audit", "casefile", "meetings", "mdo", "privacy", "referrals", "triage", "benchmarks"}
    checked = 0
    for path in sorted((ROOT / "benchmarks").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in project:
                module = importlib.import_module(node.module)
                for alias in node.names:
                    found = alias.name == "*" or hasattr(module, alias.name) or (
                        hasattr(module, "__path__") and importlib.util.find_spec(f"{node.module}.{alias.name}"))
                    assert found, f"{path.name}: {node.module}.{alias.name} does not exist"
                checked += 1
    assert checked > 5
