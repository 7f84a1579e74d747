"""CRM stage labels: every known variant in both languages, unknown ones placed or explained.

HubSpot's French labels for its default pipeline changed across versions and
translations; a team's own stages are unknown to any bundled mapping. An
export that carries the win probability places an unknown label by it; one
that does not gets a bad row proposing the closest known stage and the line
to add to a team mapping file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from kamcoach.cli.main import main
from kamcoach.io.mapping import MappingError, _apply_file, load_mappings
from kamcoach.io.values import parse_percent

HEADER = (
    "ID de fiche;Nom de la transaction;Phase de la transaction;Montant;Date de fermeture;"
    "Propriétaire de la transaction;Entreprise associée;Date de création"
)


def _csv(path: Path, rows: list[tuple[str, str]], *, probability: list[str] | None = None) -> Path:
    header = HEADER + (";Probabilité de la transaction" if probability is not None else "")
    lines = [header]
    for i, (name, stage) in enumerate(rows):
        line = f"{900 + i};{name};{stage};10000;2027-03-31;Inès Moreau;Client {i};2026-10-01 10:00"
        if probability is not None:
            line += f";{probability[i]}"
        lines.append(line)
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _stages(db_path: Path) -> dict[str, str]:
    conn = sqlite3.connect(db_path)
    try:
        return dict(conn.execute("SELECT name, stage FROM opportunities"))
    finally:
        conn.close()


def test_hubspot_french_labels_of_every_version_are_known(tmp_path: Path, db_path: Path) -> None:
    """'Décideur impliqué', 'Conclue gagnée' and 'Conclue perdue' used to reject the whole file."""
    labels = {
        "Rendez-vous pris": "discovery",
        "Qualifiée pour l'achat": "qualification",
        "Présentation planifiée": "proposal",
        "Intégration du décisionnaire": "negotiation",
        "Décideur impliqué": "negotiation",
        "Contrat envoyé": "commit",
        "Conclue gagnée": "closed_won",
        "Conclue perdue": "closed_lost",
        "Fermé gagné": "closed_won",
        "Decision maker bought-in": "negotiation",
    }
    path = _csv(tmp_path / "deals.csv", [(f"Deal {label}", label) for label in labels])
    result = CliRunner().invoke(main, ["--db", str(db_path), "import", str(path)])
    assert result.exit_code == 0, result.output
    assert _stages(db_path) == {f"Deal {label}": stage for label, stage in labels.items()}


def test_an_unknown_label_is_placed_by_the_probability_the_export_gives(
    tmp_path: Path, db_path: Path
) -> None:
    rows = [("A", "Étape maison"), ("B", "Démo technique"), ("C", "Rendez-vous pris")]
    path = _csv(tmp_path / "deals.csv", rows, probability=["0.8", "35 %", "0.2"])
    result = CliRunner().invoke(main, ["--db", str(db_path), "import", str(path)])
    assert result.exit_code == 0, result.output
    # HubSpot's pipeline: 20 discovery, 40 qualification, 60 proposal, 80 negotiation.
    assert _stages(db_path) == {"A": "negotiation", "B": "qualification", "C": "discovery"}
    assert "'Étape maison' is not in the HubSpot mapping: placed at negotiation" in (
        " ".join(result.output.split())
    )


def test_an_unknown_label_without_probability_proposes_the_closest_stage_and_the_line(
    tmp_path: Path, db_path: Path
) -> None:
    path = _csv(tmp_path / "deals.csv", [("A", "Décideur OK"), ("B", "Rendez-vous pris")])
    bad = tmp_path / "bad.csv"
    args = ["--db", str(db_path), "import", "--dry-run", str(path), "--bad-rows", str(bad)]
    result = CliRunner().invoke(main, args)
    assert "1 bad row" in result.output
    reason = bad.read_text(encoding="utf-8")
    assert "unknown HubSpot stage 'Décideur OK'" in reason
    assert "closest known: 'Décideur convaincu' (negotiation)" in reason
    assert '""Décideur OK"" = ""negotiation"" under [stages]' in reason  # CSV-quoted
    assert "crm/hubspot.toml" in reason


@pytest.mark.parametrize(
    ("text", "percent"),
    [
        ("20", 20.0),
        ("20 %", 20.0),
        ("20,5%", 20.5),
        ("0.2", 20.0),
        ("0,75", 75.0),
        ("1", 1.0),
        ("100", 100.0),
        ("0", 0.0),
        ("1.0", 100.0),
    ],
)
def test_parse_percent(text: str, percent: float) -> None:
    assert parse_percent(text) == pytest.approx(percent)


@pytest.mark.parametrize("text", ["high", "150", "-5 %", "nan", "inf", ""])
def test_parse_percent_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_percent(text)


def test_stage_for_probability_never_calls_an_open_low_probability_stage_lost() -> None:
    mappings, _ = load_mappings()
    hubspot, pipedrive = mappings["hubspot"], mappings["pipedrive"]
    assert hubspot.stage_for_probability(5) == "discovery"
    assert hubspot.stage_for_probability(0) == "closed_lost"
    assert hubspot.stage_for_probability(100) == "closed_won"
    assert hubspot.stage_for_probability(50) == "qualification"  # tie: the earlier stage
    # Without a table of its own, a CRM uses kamcoach's default probabilities.
    assert pipedrive.stage_for_probability(60) == "negotiation"


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ({"discovry": 20}, "is not one of"),
        ({"discovery": 120}, "not between 0 and 100"),
        ({"discovery": "20"}, "must be a number"),
    ],
)
def test_stage_probability_table_is_validated(tmp_path: Path, table: dict, problem: str) -> None:
    path = tmp_path / "team.toml"
    with pytest.raises(MappingError, match=problem) as info:
        _apply_file(
            {},
            path,
            {
                "crm": "mycrm",
                "stage_probability": table,
                "opportunities": {"fields": {"name": ["Name"]}},
            },
        )
    assert str(path) in str(info.value) and "stage_probability." in str(info.value)
