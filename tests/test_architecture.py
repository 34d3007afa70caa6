"""Architecture rules import-linter cannot see (it checks modules, not names; see pyproject.toml's
[tool.importlinter] for the layers): a private name (``_x``) stays inside its own package."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"


def _module(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _owner(module: str, root: Path) -> str:
    """Who may use the module's private names: a package's own modules, or for a package itself or a
    top-level module (``app.text``), that module alone ("app" would let every module in)."""
    parts = module.split(".")
    if len(parts) <= 2 or root.parent.joinpath(*parts).is_dir():
        return module
    return ".".join(parts[:-1])


def private_imports_from_other_packages(root: Path = APP) -> list[str]:
    """``from app.a.b import _x`` in a module outside app.a: it reaches into another package's insides."""
    found = []
    for path in sorted(root.rglob("*.py")):
        importer = _module(path, root)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                    and node.module.split(".")[0] == "app"):
                continue
            owner = _owner(node.module, root)
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


def test_the_check_finds_a_private_import_from_a_top_level_module_or_a_package(tmp_path):
    (tmp_path / "app" / "retrieval").mkdir(parents=True)
    (tmp_path / "app" / "text.py").write_text("def _words(): ...\nfrom app.text import _words\n")
    (tmp_path / "app" / "retrieval" / "__init__.py").write_text("_cache = {}\n")
    (tmp_path / "app" / "retrieval" / "rank.py").write_text(
        "from app.text import _words\nfrom app.retrieval import _cache\n")
    (tmp_path / "app" / "cli.py").write_text("from app.retrieval import _cache\n")
    assert private_imports_from_other_packages(tmp_path / "app") == [
        "app.cli (l.1) imports app.retrieval._cache", "app.retrieval.rank (l.1) imports app.text._words"]
