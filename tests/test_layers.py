"""The layers of docs/architecture.md, checked on the source: every ``import`` of every module (lazy
imports inside functions included) is parsed with :mod:`ast`, and imports that point the wrong way fail.

Why parse instead of importing: an upward import inside a function only runs on some path, so importing
the module proves nothing; the source shows every edge.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "calcitrack"

FORBIDDEN: list[tuple[str, tuple[str, ...], str]] = [
    ("registry", ("service", "app", "assess", "explain"), "the registry is persistence only"),
    ("interop", ("api", "web"), "interop is a face: app and below, never another face"),
    ("web", ("api", "interop"), "the web UI is a face: app and below, never another face"),
    ("batch", ("api",), "batch is a face: app and below, never another face"),
    ("batch", ("spark",), "spark adapts batch: spark imports batch, never the reverse (engines register)"),
    ("app", ("api", "web", "interop", "cli"), "the application layer sits below every face"),
    ("kb", ("assess",), "the KB is data: the engine reads it, not the other way round"),
    ("notify", ("app", "api", "web", "interop", "cli", "batch"),
     "notify delivers what the application decided: it never imports a use case or a face"),
]
"""(layer, layers it must not import, why). A layer is the first component below ``calcitrack``."""

MODELS_ALLOWED = {"pydantic", "__future__"}


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def imports(name: str, path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in the module, relative ones resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:  # ``from calcitrack import explain`` imports the subpackage
                yield node.lineno, f"{target}.{alias.name}"


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "calcitrack" else None


def violations() -> list[str]:
    found = []
    for name, path in modules():
        own = layer(name)
        for line, target in imports(name, path):
            where = f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}"
            if own == "models":
                top = target.split(".")[0]
                if top not in MODELS_ALLOWED and top not in sys.stdlib_module_names:
                    found.append(f"{where}: models may import only the standard library and pydantic")
                continue
            theirs = layer(target)
            if theirs is None or theirs == own:
                continue
            for source, banned, why in FORBIDDEN:
                if own == source and theirs in banned:
                    found.append(f"{where}: {why}")
    return found


def test_no_import_points_the_wrong_way() -> None:
    assert violations() == []


@pytest.mark.parametrize(
    ("module", "source", "bad"),
    [
        ("calcitrack.registry.x", "from calcitrack.service import analyze\n", True),
        ("calcitrack.registry.x", "def f():\n    from calcitrack.assess import engine\n", True),
        ("calcitrack.registry.x", "from ..app import worklist\n", True),
        ("calcitrack.web.x", "import calcitrack.api.auth\n", True),
        ("calcitrack.interop.x", "from calcitrack.api.problems import ApiProblem\n", True),
        ("calcitrack.batch.x", "from calcitrack import api\n", True),
        ("calcitrack.batch.runner", "def f():\n    from calcitrack.spark import SparkChunkEngine\n", True),
        ("calcitrack.batch.x", "from calcitrack import spark\n", True),
        ("calcitrack.spark", "from calcitrack.batch.runner import register_engine\n", False),
        ("calcitrack.kb.x", "from calcitrack.assess.engine import run\n", True),
        ("calcitrack.models", "import sqlalchemy\n", True),
        ("calcitrack.models", "def f():\n    from calcitrack.explain import explain\n", True),
        ("calcitrack.models", "import datetime\nfrom pydantic import BaseModel\n", False),
        ("calcitrack.web.x", "from calcitrack.app.worklist import read_worklist\n", False),
        ("calcitrack.api.x", "from calcitrack.interop import cdshooks\n", False),
    ],
)
def test_the_check_catches_each_forbidden_edge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str,
                                               source: str, bad: bool) -> None:
    """The checker itself: each rule of the issue fails on a planted import, and allowed ones pass."""
    path = tmp_path / "x.py"
    path.write_text(source, encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "modules", lambda: iter([(module, path)]))
    monkeypatch.setattr(Path, "relative_to", lambda self, other: self)
    assert bool(violations()) is bad
