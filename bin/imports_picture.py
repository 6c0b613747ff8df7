"""The picture of imports between the apps, as a Markdown table (docs/architecture.md).

Walks each app's ``*.py`` files (migrations and tests left out) with ``ast`` and counts, for
every ``import`` / ``from … import`` of another app, one per imported module per statement,
module level and inside functions alike. Bold cells run upwards or sideways (against the
layers of import-linter's contract in ``pyproject.toml``).

Usage: ``python bin/imports_picture.py [ROOT]``.
"""

from __future__ import annotations

import ast
import sys
from collections import Counter
from pathlib import Path

APPS = ("core", "products", "partners", "scenarios", "revenue", "payouts", "console", "portal")
LAYER = {"core": 0, "products": 1, "partners": 1, "scenarios": 2, "revenue": 3, "console": 4, "portal": 4}


def imported_modules(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        return [node.module]
    return []


def count(root: Path) -> tuple[Counter, Counter]:
    """(imports, of which inside functions) by (from app, to app)."""
    total: Counter = Counter()
    in_functions: Counter = Counter()
    for app in APPS:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" in path.parts or "tests" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            nested = {
                id(inner)
                for function in ast.walk(tree)
                if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
                for inner in ast.walk(function)
            }
            for node in ast.walk(tree):
                for module in imported_modules(node):
                    target = module.split(".")[0]
                    if target in APPS and target != app:
                        total[app, target] += 1
                        if id(node) in nested:
                            in_functions[app, target] += 1
    return total, in_functions


def against_layers(source: str, target: str) -> bool:
    return LAYER[target] >= LAYER[source]


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path()
    total, in_functions = count(root)
    print("| from ↓ / to → | " + " | ".join(APPS) + " |")
    print("|---|" + "---:|" * len(APPS))
    for source in APPS:
        cells = []
        for target in APPS:
            if source == target:
                cells.append("—")
                continue
            n, inside = total[source, target], in_functions[source, target]
            cell = f"{n} ({inside} in functions)" if inside else str(n)
            cells.append(f"**{cell}**" if n and against_layers(source, target) else cell)
        print(f"| {source} | " + " | ".join(cells) + " |")
    wrong = sum(n for (source, target), n in total.items() if against_layers(source, target))
    print(
        f"\nagainst the layers: {wrong}; between apps: {sum(total.values())}; "
        f"inside functions: {sum(in_functions.values())}"
    )


if __name__ == "__main__":
    main()
