"""Print the module index of docs/architecture.md: every module of the package with its docstring's first
sentence. Run ``python scripts/module_index.py > /tmp/index.md`` and paste it under "## Module index";
``tests/test_architecture_doc.py`` fails when a module is missing from the page."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "calcitrack"


def first_sentence(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    text = " ".join(doc.split())
    end = text.find(". ")
    return (text if end < 0 else text[: end + 1]).replace("|", "\\|")


def main() -> None:
    print("| module | what it does (its docstring) |")
    print("|---|---|")
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if "migrations/versions/" in relative:
            continue
        print(f"| `{relative}` | {first_sentence(path)} |")


if __name__ == "__main__":
    main()
