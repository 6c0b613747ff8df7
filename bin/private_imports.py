"""Refuse imports of another module's private names in the apps (``make lint``).

``from .settlement import _publish`` reaches into a module's insides: the name becomes public
(without underscore) in the module where it belongs, or stays where it is used. Ruff's
``PLC2701`` only sees private names imported from another top-level package, and the imports
to catch are within one app, so this walks the apps' files (``root_packages`` of import-linter
in ``pyproject.toml``; tests and migrations left out). A private module of a package
(``from . import _common``) is the package's own business and passes. Files listed under
``[tool.private-imports] allow`` in ``pyproject.toml`` are left for the work that removes them.

Usage: ``python bin/private_imports.py`` — prints each offending import, exits 1 if any.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def private_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        base = ROOT
        if node.level:
            base = path.parent
            for _up in range(node.level - 1):
                base = base.parent
        source = base.joinpath(*(node.module or "").split("."))
        for alias in node.names:
            name = alias.name
            if not name.startswith("_") or name.startswith("__"):
                continue
            if (source / f"{name}.py").exists() or (source / name / "__init__.py").exists():
                continue  # a private module of the package
            module = "." * node.level + (node.module or "")
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: `{name}` imported from `{module}`")
    return found


def main() -> int:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    allowed = {ROOT / name for name in config["tool"].get("private-imports", {}).get("allow", [])}
    found = []
    for package in config["tool"]["importlinter"]["root_packages"]:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts and path not in allowed:
                found += private_imports(path)
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} imports of another module's private names", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
