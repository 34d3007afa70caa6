"""Architecture rules import-linter cannot see (it checks modules, not names; see pyproject.toml's
[tool.importlinter] for the layers): a private name (``_x``) stays inside its own package."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"


def _module(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def private_imports_from_other_packages(root: Path = APP) -> list[str]:
    """``from app.a.b import _x`` in a module outside app.a: it reaches into another package's insides."""
    found = []
    for path in sorted(root.rglob("*.py")):
        importer = _module(path, root)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                    and node.module.split(".")[0] == "app"):
                continue
            owner = node.module.rpartition(".")[0] or node.module  # the package the module belongs to
            for alias in node.names:
                private = alias.name.startswith("_") and not alias.name.startswith("__")
                if private and not (importer + ".").startswith(owner + "."):
                    found.append(f"{importer} (l.{node.lineno}) imports {node.module}.{alias.name}")
    return found


def test_no_module_imports_a_private_name_from_another_package():
    assert private_imports_from_other_packages() == []


def test_the_check_finds_a_private_import(tmp_path):
    (tmp_path / "app" / "warm").mkdir(parents=True)
    (tmp_path / "app" / "retrieval").mkdir()
    (tmp_path / "app" / "warm" / "up.py").write_text("from app.retrieval.slots import _gazetteer, gazetteer\n")
    (tmp_path / "app" / "retrieval" / "rank.py").write_text("from app.retrieval.slots import _gazetteer\n")
    assert private_imports_from_other_packages(tmp_path / "app") == [
        "app.warm.up (l.1) imports app.retrieval.slots._gazetteer"]
