"""The simulator is a tool of its own: the pipeline must not depend on it (nor on its truth)."""

from __future__ import annotations

import ast
from pathlib import Path

import learning_pipeline

PACKAGE = Path(learning_pipeline.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_the_cli_imports_the_simulation_package():
    importers = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "simulation" not in path.relative_to(PACKAGE).parts
        and any(name == "learning_pipeline.simulation" or name.startswith("learning_pipeline.simulation.")
                for name in _imports(path))
    )
    assert importers == ["cli.py"]


def test_the_simulation_package_does_not_import_the_pipeline():
    for path in (PACKAGE / "simulation").glob("*.py"):
        foreign = {n for n in _imports(path) if n.startswith("learning_pipeline.") and not n.startswith("learning_pipeline.simulation")}
        assert not foreign, (path.name, foreign)


def test_no_module_of_the_simulator_is_a_monolith():
    sizes = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in (PACKAGE / "simulation").glob("*.py")}
    assert max(sizes.values()) < 400, sizes
