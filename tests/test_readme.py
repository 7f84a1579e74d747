"""The README's two commands are the ones CI and new users run."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_gives_the_run_and_test_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "    python -m pip install . && kamcoach demo\n" in readme
    assert '    python -m pip install -e ".[test]" && python -m pytest\n' in readme
    assert "SAMPLE_OUTPUT" not in readme


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'python -m pip install -e ".\\[test\\]" && ' in ci
