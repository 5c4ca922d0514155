"""Apps import downward only (docs/architecture.md): ``enterprises`` imports nothing from
``appointments``' views, ``reports`` or ``training``; ``appointments`` and ``training`` import
nothing from ``reports``. Every import of every module is read from its syntax tree, including
imports inside functions, so a lazy import cannot hide an upward one."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# app -> module prefixes it must not import
FORBIDDEN = {
    "enterprises": ("reports", "training", "appointments.views"),
    "appointments": ("reports",),
    "training": ("reports",),
}


def imported_modules(path: Path, package: str):
    """Every module ``path`` imports, as (line, dotted name), relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    here = parts[:-1] if path.name != "__init__.py" else parts
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield node.lineno, module
            for alias in node.names:  # ``from appointments import views``
                yield node.lineno, f"{module}.{alias.name}"


def violations(app: str) -> list[str]:
    found = []
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for line, module in imported_modules(path, app):
            for prefix in FORBIDDEN[app]:
                if module == prefix or module.startswith(prefix + "."):
                    found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return found


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_apps_import_downward_only(app):
    assert violations(app) == []


def test_the_check_sees_lazy_and_relative_imports(tmp_path, monkeypatch):
    module = ROOT / "enterprises" / "views" / "town.py"
    names = {name for _line, name in imported_modules(module, "enterprises")}
    assert "enterprises.vacancies" in names  # ``from .. import vacancies as services``
    source = "def f():\n    from reports import statistics\n"
    tree_names = {
        getattr(node, "module", None)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom)
    }
    assert tree_names == {"reports"}
