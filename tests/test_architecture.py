"""The package's shape, enforced: import contracts (import-linter), no cycle dodged, no silent fallback.

* ``lint-imports`` checks the contracts in ``pyproject.toml`` (layers core < course/embedded < exercises,
  course and exercises never importing ``lab_support.embedded``, the embedded services one way, no cycles);
  ``make test`` runs it too, this test makes plain ``pytest`` enforce it.
* import-linter cannot tell a function-level import from a module-level one, so two AST checks here do: a
  package-internal import inside a function needs a comment saying why (it must not be dodging a cycle), and
  no ``try: from lab_support… import …`` is wrapped in ``except ImportError`` (the package's own modules are
  always there; a fallback would only hide a bug).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "lab_support"


def _is_package_import(node: ast.AST) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or (node.module or "").split(".")[0] == "lab_support"
    if isinstance(node, ast.Import):
        return any(alias.name.split(".")[0] == "lab_support" for alias in node.names)
    return False


def _modules() -> list[tuple[Path, str, ast.Module]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text()
        found.append((path, source, ast.parse(source, str(path))))
    return found


def test_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    assert lint_imports.exists(), "import-linter is not installed: run `make install` (it is in the [test] extras)"
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"lint-imports found broken contracts:\n{result.stdout}\n{result.stderr}"


def test_function_level_package_imports_say_why() -> None:
    unexplained: list[str] = []
    for path, source, tree in _modules():
        lines = source.splitlines()
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if not _is_package_import(node):
                    continue
                here, above = lines[node.lineno - 1], lines[node.lineno - 2].strip()
                if "#" not in here and not above.startswith("#"):
                    unexplained.append(f"{path.relative_to(ROOT)}:{node.lineno}: {here.strip()}")
    unexplained = sorted(set(unexplained))  # a nested function's import is met once per enclosing function
    assert not unexplained, (
        "package-internal imports inside functions (move them to the module's top, or say in a comment why "
        "they cannot be there; an import cycle is not a reason):\n" + "\n".join(unexplained)
    )


def test_no_import_error_fallbacks_around_the_package() -> None:
    guarded = []
    for path, _source, tree in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Try):
                continue
            catches = {ast.unparse(h.type) for h in node.handlers if h.type is not None}
            if not any("ImportError" in c or "ModuleNotFoundError" in c for c in catches):
                continue
            if any(_is_package_import(sub) for stmt in node.body for sub in ast.walk(stmt)):
                guarded.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not guarded, "the package's own modules are imported plainly, never behind `except ImportError`:\n" + \
        "\n".join(guarded)


# -- the tests follow the same shape ------------------------------------------------------------------------------
TESTS = ROOT / "tests"


def _fixtures(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.FunctionDef) and any(
                "fixture" in ast.unparse(d) for d in node.decorator_list):
            names.add(node.name)
    return names


def test_fixtures_are_defined_once() -> None:
    """Shared fixtures live in conftest.py; no test module defines a fixture another module (or conftest) has."""
    seen: dict[str, str] = {name: "conftest.py" for name in _fixtures(TESTS / "conftest.py")}
    clashes = []
    for path in sorted(TESTS.glob("test_*.py")):
        for name in sorted(_fixtures(path)):
            if name in seen:
                clashes.append(f"{path.name} defines fixture {name!r}, already in {seen[name]}")
            seen.setdefault(name, path.name)
    assert not clashes, "\n".join(clashes)


def test_the_package_is_never_importorskipped() -> None:
    offenders = [f"{p.name}:{n}" for p in sorted(TESTS.glob("*.py"))
                 for n, line in enumerate(p.read_text().splitlines(), 1)
                 if "importorskip(" in line and "lab_support" in line and p.name != "test_architecture.py"]
    assert not offenders, f"the package's own modules are always installed: {offenders}"
