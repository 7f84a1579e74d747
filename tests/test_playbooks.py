"""Playbooks load from data files and a broken one is reported with file and key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kamcoach.cli.main import main
from kamcoach.domain.stages import STAGES
from kamcoach.errors import PlaybookError
from kamcoach.paths import playbooks_dir
from kamcoach.playbooks.loader import load_playbooks

MEDDPICC = {
    "metrics",
    "economic_buyer",
    "decision_criteria",
    "decision_process",
    "identify_pain",
    "champion",
    "paper_process",
    "competition",
}
BANT = {"budget", "authority", "need", "timeline"}


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "playbooks"
    shutil.copytree(playbooks_dir(), target)
    return target


def test_bundled_playbooks_cover_every_criterion_in_both_languages() -> None:
    pset = load_playbooks()
    assert set(pset.criteria) == MEDDPICC | BANT
    assert set(pset.playbooks["meddic"].weights) == MEDDPICC - {"paper_process", "competition"}
    assert set(pset.playbooks["meddpicc"].weights) == MEDDPICC
    assert set(pset.playbooks["bant"].weights) == BANT
    for pb in pset.playbooks.values():
        assert [s.id for s in pb.stages] == list(STAGES)
    for crit in pset.criteria.values():
        assert len(crit.rubric) == 4
        assert crit.questions
        for lang in ("en", "fr"):
            assert crit.patterns[lang].phrases, f"{crit.id} has no {lang} evidence phrases"
            assert crit.patterns[lang].gap_phrases, f"{crit.id} has no {lang} gap phrases"
    phases = [p.id for p in pset.method.phases]
    assert phases == ["opening", "mutual_discovery", "value", "qualification", "next_steps"]


def _break(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    "file,old,new,key,problem",
    [
        ("meddic.toml", "metrics = 1.0", "metrix = 1.0", "weights.metrix", "unknown criterion"),
        (
            "meddic.toml",
            "probability = 0.4",
            'probability = "high"',
            "stages[2].probability",
            "expected a number",
        ),
        (
            "criteria/metrics.toml",
            'phase = "value"',
            'phase = "closing"',
            "questions[1].phase",
            "unknown phase",
        ),
        ("criteria/metrics.toml", "[rubric.3]", "[rubric.4]", "rubric.4", "unknown key"),
        ("criteria/metrics.toml", 'id = "metrics"', 'id = "metrics"\n[broken', "", "invalid TOML"),
    ],
)
def test_broken_playbook_names_file_and_key(
    copy: Path, file: str, old: str, new: str, key: str, problem: str
) -> None:
    _break(copy / file, old, new)
    with pytest.raises(PlaybookError) as info:
        load_playbooks([copy])
    assert info.value.path.endswith(file)
    assert info.value.key == key
    assert problem in info.value.problem


def test_team_playbook_overrides_bundled_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = tmp_path / "config" / "playbooks"
    team.mkdir(parents=True)
    text = (playbooks_dir() / "meddic.toml").read_text(encoding="utf-8")
    (team / "meddic.toml").write_text(
        text.replace("economic_buyer = 1.5", "economic_buyer = 3.0"), encoding="utf-8"
    )
    monkeypatch.setenv("KAMCOACH_CONFIG_DIR", str(tmp_path / "config"))
    pset = load_playbooks()
    assert pset.playbooks["meddic"].weights["economic_buyer"] == 3.0
    assert pset.playbooks["meddic"].source == team / "meddic.toml"


def test_check_command_ok_and_broken(runner: CliRunner, copy: Path) -> None:
    ok = runner.invoke(main, ["playbooks", "check"])
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith("ok:")
    _break(copy / "bant.toml", "budget =", "budgett =")
    bad = runner.invoke(main, ["playbooks", "check", str(copy)])
    assert bad.exit_code == 1
    assert "Traceback" not in bad.output
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "bant.toml: weights.budgett: unknown criterion" in lines[0]


def test_show_renders_french(runner: CliRunner) -> None:
    result = runner.invoke(main, ["playbooks", "show", "meddic", "--lang", "fr"])
    assert result.exit_code == 0, result.output
    assert "Indicateurs" in result.output
    unknown = runner.invoke(main, ["playbooks", "show", "spin"])
    assert unknown.exit_code == 1
    assert "unknown playbook 'spin'" in unknown.stderr
