"""docs/architecture.md lists every module of the package, so a newcomer finds any behaviour in one hop.

Why a test: modules are added by every issue, and a page that silently falls behind the code is worse
than none. Regenerate the index with ``python scripts/module_index.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "calcitrack"


def _modules() -> list[str]:
    return sorted(
        p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py") if "migrations/versions/" not in p.as_posix()
    )


def test_every_module_is_in_the_index() -> None:
    index = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").split("## Module index", 1)
    assert len(index) == 2, "docs/architecture.md has no '## Module index' section"
    missing = [m for m in _modules() if f"| `{m}` |" not in index[1]]
    assert not missing, f"add to docs/architecture.md (python scripts/module_index.py): {missing}"


def test_every_module_says_what_it_is_for() -> None:
    sources = {m: (PACKAGE / m).read_text(encoding="utf-8") for m in _modules()}
    undocumented = [m for m, source in sources.items() if not ast.get_docstring(ast.parse(source))]
    assert not undocumented, f"modules without a docstring: {undocumented}"
