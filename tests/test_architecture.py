"""Layering rules: the core never imports Textual; nothing heavy loads at CLI import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import kamcoach

PACKAGE = Path(kamcoach.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_does_not_import_textual() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "tui" not in path.relative_to(PACKAGE).parts and "textual" in _imports(path)
    ]
    assert offenders == []


def test_domain_and_playbooks_need_neither_sqlite_nor_spacy() -> None:
    for folder in ("domain", "playbooks"):
        for path in (PACKAGE / folder).rglob("*.py"):
            assert not {"sqlite_utils", "spacy", "click", "rich"} & _imports(path), path


def test_cli_import_is_light() -> None:
    code = (
        "import sys, kamcoach.cli.main; "
        "print(sorted(m for m in ('spacy', 'textual', 'thinc') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
