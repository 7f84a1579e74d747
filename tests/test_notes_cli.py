"""`kamcoach notes` and `kamcoach deals next-step` through the real entry point."""

from __future__ import annotations

import json
import sqlite3
import stat
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from test_review_support import add_deal

from kamcoach.cli import notes_cmd
from kamcoach.cli.main import main
from kamcoach.storage.db import open_db

USER = "Camille Martin"


@pytest.fixture
def deal_db(db_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A file with two deals, and a config.toml naming the user."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text(f'[user]\nname = "{USER}"\n', encoding="utf-8")
    monkeypatch.setenv("KAMCOACH_CONFIG_DIR", str(config))
    db = open_db(db_path)
    add_deal(db, 1, name="Acme ERP", stage="proposal")
    add_deal(db, 2, name="Globex WMS")
    db.close()
    return db_path


def run(runner: CliRunner, db_path: Path, *args: str, input: str | bytes | None = None) -> Result:
    return runner.invoke(main, ["--db", str(db_path), *args], input=input)


def notes_of(db_path: Path, deal_id: int = 1) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(
            "SELECT author, created_at, title, lang, text FROM notes WHERE opportunity_id = ? "
            "ORDER BY id",
            [deal_id],
        ).fetchall()
    finally:
        conn.close()


def dump(db_path: Path) -> list[str]:
    conn = sqlite3.connect(db_path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def fake_editor(tmp_path: Path, text: str | None) -> str:
    """An $EDITOR that writes ``text`` into the file it is given (None: leaves it as it is)."""
    script = tmp_path / "editor.py"
    body = "pass" if text is None else f"open(sys.argv[1], 'w', encoding='utf-8').write({text!r})"
    script.write_text(f"import sys\n{body}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return f"{sys.executable} {script}"


# ---------------------------------------------------------------- notes add


def test_add_from_the_argument_signed_by_the_user(runner: CliRunner, deal_db: Path) -> None:
    result = run(runner, deal_db, "notes", "add", "Acme ERP", "Met the CFO: budget 200k.")
    assert result.exit_code == 0, result.output
    assert "note 1 added to deal #1 Acme ERP by Camille Martin" in result.output
    assert notes_of(deal_db) == [
        (USER, "2026-11-20T12:00:00", None, None, "Met the CFO: budget 200k.")
    ]


def test_add_with_author_date_title_lang(runner: CliRunner, deal_db: Path) -> None:
    result = run(
        runner,
        deal_db,
        "notes",
        "add",
        "1",
        "Point avec le DAF.",
        "--author",
        "Sam Green",
        "--date",
        "2026-11-18T16:30",
        "--title",
        "Appel DAF",
        "--lang",
        "fr",
    )
    assert result.exit_code == 0, result.output
    assert notes_of(deal_db) == [
        ("Sam Green", "2026-11-18T16:30:00", "Appel DAF", "fr", "Point avec le DAF.")
    ]


def test_blank_author_stores_none(runner: CliRunner, deal_db: Path) -> None:
    result = run(runner, deal_db, "notes", "add", "1", "Unsigned.", "--author", " ")
    assert result.exit_code == 0, result.output
    assert "added to deal #1 Acme ERP with no author" in result.output
    assert notes_of(deal_db)[0][0] is None


def test_add_from_a_file(runner: CliRunner, deal_db: Path, tmp_path: Path) -> None:
    note = tmp_path / "call.txt"
    note.write_bytes("\ufeffCall with Claire.\nPilot agreed.\n".encode())
    result = run(runner, deal_db, "notes", "add", "1", "--file", str(note))
    assert result.exit_code == 0, result.output
    assert notes_of(deal_db)[0][4] == "Call with Claire.\nPilot agreed.\n"


def test_add_from_piped_stdin_and_from_dash(runner: CliRunner, deal_db: Path) -> None:
    piped = run(runner, deal_db, "notes", "add", "1", input="Piped note.\n")
    assert piped.exit_code == 0, piped.output
    dashed = run(runner, deal_db, "notes", "add", "2", "-f", "-", input="Dash note.")
    assert dashed.exit_code == 0, dashed.output
    assert notes_of(deal_db, 1)[0][4] == "Piped note.\n"
    assert notes_of(deal_db, 2)[0][4] == "Dash note."


def test_add_in_the_editor_at_a_terminal(
    runner: CliRunner, deal_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", fake_editor(tmp_path, "Written in the editor.\n"))
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setattr(notes_cmd, "stdin_is_tty", lambda: True)
    result = run(runner, deal_db, "notes", "add", "1", "--title", "From vim")
    assert result.exit_code == 0, result.output
    assert notes_of(deal_db) == [
        (USER, "2026-11-20T12:00:00", "From vim", None, "Written in the editor.\n")
    ]


def test_edit_flag_opens_the_editor_even_from_a_pipe(
    runner: CliRunner, deal_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VISUAL", fake_editor(tmp_path, "Visual wins."))
    result = run(runner, deal_db, "notes", "add", "1", "--edit", input="ignored")
    assert result.exit_code == 0, result.output
    assert notes_of(deal_db)[0][4] == "Visual wins."


@pytest.mark.parametrize("text", [None, "   \n\n"])
def test_empty_or_unchanged_editor_buffer_saves_nothing(
    runner: CliRunner,
    deal_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    text: str | None,
) -> None:
    monkeypatch.setenv("EDITOR", fake_editor(tmp_path, text))
    monkeypatch.delenv("VISUAL", raising=False)
    before = dump(deal_db)
    result = run(runner, deal_db, "notes", "add", "1", "--edit")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: editor: the note on deal #1 Acme ERP was left empty; nothing saved"
    ]
    assert dump(deal_db) == before


def test_a_failing_editor_is_one_line(
    runner: CliRunner, deal_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", "/nonexistent/editor")
    monkeypatch.delenv("VISUAL", raising=False)
    result = run(runner, deal_db, "notes", "add", "1", "--edit")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert (
        len(lines) == 1 and lines[0].startswith("error: editor: ") and "nothing saved" in lines[0]
    )


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ("TEXT", "--file", "x.txt"),
            None,
            "error: give the note once: TEXT and --file both given",
        ),
        ((), "", "error: <stdin>: the note is empty"),
        (("  ",), None, "error: TEXT: the note is empty"),
        ((), b"\x89PNG\x00\x00", "error: <stdin>: looks like binary data, not a text note"),
        ((), b"caf\xe9", "error: <stdin>: not UTF-8 text (byte 3)"),
        (("x", "--date", "31/12/2026"), None, "error: date '31/12/2026' is not an ISO date"),
        (("x", "--lang", "de"), None, "Invalid value for '--lang'"),
    ],
)
def test_refusals_are_one_line_and_write_nothing(
    runner: CliRunner,
    deal_db: Path,
    args: tuple[str, ...],
    stdin: str | bytes | None,
    message: str,
) -> None:
    before = dump(deal_db)
    result = run(runner, deal_db, "notes", "add", "1", *args, input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert dump(deal_db) == before


def test_binary_or_missing_file_refused(runner: CliRunner, deal_db: Path, tmp_path: Path) -> None:
    image = tmp_path / "photo.jpg"
    image.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    before = dump(deal_db)
    result = run(runner, deal_db, "notes", "add", "1", "--file", str(image))
    assert result.exit_code == 1
    assert result.output.strip() == f"error: {image}: looks like binary data, not a text note"
    missing = run(runner, deal_db, "notes", "add", "1", "--file", str(tmp_path / "nope.txt"))
    assert missing.exit_code == 1 and "cannot read" in missing.output
    unknown = run(runner, deal_db, "notes", "add", "Nope", "text")
    assert unknown.exit_code == 1 and "no deal with id or name 'Nope'" in unknown.output
    assert dump(deal_db) == before


def test_long_note_stored_with_a_warning(runner: CliRunner, deal_db: Path, tmp_path: Path) -> None:
    note = tmp_path / "export.txt"
    note.write_text("Pasted CRM export line.\n" * 90_000, encoding="utf-8")  # 2.16M characters
    result = run(runner, deal_db, "notes", "add", "1", "--file", str(note))
    assert result.exit_code == 0, result.output
    assert "warning: note 1: 2,160,000 characters, over 2,000,000" in result.output
    assert len(notes_of(deal_db)[0][4]) == 2_160_000


def test_analyse_right_away(runner: CliRunner, deal_db: Path) -> None:
    pytest.importorskip("spacy")
    result = run(
        runner,
        deal_db,
        "notes",
        "add",
        "1",
        "Met the CFO Jane Doe, she owns the budget of 200k and signs in December.",
        "--lang",
        "en",
        "--analyse",
    )
    assert result.exit_code == 0, result.output
    assert "deal #1: 1 notes, 1 analysed" in result.output
    conn = sqlite3.connect(deal_db)
    try:
        assert conn.execute(
            "SELECT COUNT(*) FROM reviews WHERE opportunity_id = 1 AND author_kind = 'analyser'"
        ).fetchone() == (1,)
    finally:
        conn.close()


# ---------------------------------------------------------------- notes list


def test_list_table_json_and_full(runner: CliRunner, deal_db: Path) -> None:
    run(runner, deal_db, "notes", "add", "1", "First line.\nSecond line.", "--date", "2026-11-01")
    run(
        runner,
        deal_db,
        "notes",
        "add",
        "1",
        "[/red] Later.",
        "--title",
        "Demo [b]",
        "--author",
        "X",
    )
    table = run(runner, deal_db, "notes", "list", "1")
    assert table.exit_code == 0, table.output
    assert "Notes (2, newest first)" in table.output
    assert "[/red] Later." in table.output and "Demo [b]" in table.output
    assert "First line." in table.output and "Second line." not in table.output
    full = run(runner, deal_db, "notes", "list", "Acme ERP", "--full")
    assert "Second line." in full.output
    data = json.loads(run(runner, deal_db, "notes", "list", "1", "--format", "json").output)
    assert [(n["author"], n["title"], n["first_line"]) for n in data] == [
        ("X", "Demo [b]", "[/red] Later."),
        (USER, None, "First line."),
    ]
    assert "text" not in data[0]
    data = json.loads(
        run(runner, deal_db, "notes", "list", "1", "--format", "json", "--full").output
    )
    assert data[1]["text"] == "First line.\nSecond line."
    assert data[1]["created_at"] == "2026-11-01T00:00:00"
    exported = run(runner, deal_db, "export", "notes", "--format", "jsonl").output.splitlines()
    assert [json.loads(line)["title"] for line in exported] == [None, "Demo [b]"]


# ---------------------------------------------------------------- next step


def steps_of(db_path: Path, deal_id: int = 1) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(
            "SELECT what, who, due_date, source, set_by, done_at FROM next_steps "
            "WHERE opportunity_id = ? ORDER BY id",
            [deal_id],
        ).fetchall()
    finally:
        conn.close()


def test_next_step_set_show_done_history(runner: CliRunner, deal_db: Path) -> None:
    shown = run(runner, deal_db, "deals", "next-step", "1")
    assert shown.exit_code == 0 and "no next step agreed" in shown.output
    result = run(
        runner,
        deal_db,
        "deals",
        "next-step",
        "Acme ERP",
        "--what",
        "Demo to the CFO",
        "--who",
        "Claire",
        "--due",
        "2026-12-04",
    )
    assert result.exit_code == 0, result.output
    assert "next step set: Demo to the CFO (Claire, due 2026-12-04)" in result.output
    assert steps_of(deal_db) == [("Demo to the CFO", "Claire", "2026-12-04", "deal", USER, None)]
    shown = run(runner, deal_db, "deals", "next-step", "1")
    assert "Demo to the CFO (Claire, due 2026-12-04)" in shown.output
    done = run(runner, deal_db, "deals", "next-step", "1", "--done")
    assert done.exit_code == 0 and "done: Demo to the CFO" in done.output
    assert steps_of(deal_db)[0][5] == "2026-11-20T12:00:00"
    run(runner, deal_db, "deals", "next-step", "1", "--what", "Send the proposal")
    history = run(runner, deal_db, "deals", "next-step", "1", "--history")
    assert history.output.index("Send the proposal") < history.output.index("Demo to the CFO")
    data = json.loads(
        run(runner, deal_db, "deals", "next-step", "1", "--history", "--format", "json").output
    )
    assert [s["what"] for s in data] == ["Send the proposal", "Demo to the CFO"]


def test_next_step_past_due_warns_but_saves(runner: CliRunner, deal_db: Path) -> None:
    result = run(
        runner, deal_db, "deals", "next-step", "1", "--what", "Call", "--due", "2026-11-10"
    )
    assert result.exit_code == 0
    assert "warning: due date 2026-11-10 is already past (today is 2026-11-20)" in result.output
    assert "OVERDUE by 10 days" in result.output
    assert steps_of(deal_db)[0][2] == "2026-11-10"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--what", "  "), "error: next step: 'what' is empty"),
        (("--what", "x", "--due", "tomorrow"), "error: due date 'tomorrow' is not YYYY-MM-DD"),
        (("--who", "Claire"), "error: --who and --due go with --what"),
        (("--what", "x", "--done"), "error: give --what (a new step) or --done"),
        (("--done",), "error: deal #1 has no next step to mark done"),
    ],
)
def test_next_step_refusals(
    runner: CliRunner, deal_db: Path, args: tuple[str, ...], message: str
) -> None:
    before = dump(deal_db)
    result = run(runner, deal_db, "deals", "next-step", "1", *args)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [message] or message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert dump(deal_db) == before


def test_next_step_shown_by_show_pipeline_and_prep(runner: CliRunner, deal_db: Path) -> None:
    run(runner, deal_db, "deals", "next-step", "1", "--what", "Demo to CFO", "--due", "2026-11-10")
    show = run(runner, deal_db, "deals", "show", "1")
    assert "next step: Demo to CFO (due 2026-11-10) — OVERDUE by 10 days" in show.output
    shown = json.loads(run(runner, deal_db, "deals", "show", "1", "--format", "json").output)
    assert shown["next_step"]["what"] == "Demo to CFO"
    table = run(runner, deal_db, "pipeline", "--limit", "0")
    assert table.exit_code == 0, table.output
    assert "→ 2026-11-10 · Demo to CFO" in table.output  # 80 columns: a line in the deal cell
    wide = runner.invoke(
        main, ["--db", str(deal_db), "pipeline"], env={"COLUMNS": "160"}, terminal_width=160
    )
    assert "next step" in wide.output and "2026-11-10 · Demo to CFO" in wide.output
    data = json.loads(run(runner, deal_db, "pipeline", "--format", "json").output)
    steps = {d["id"]: d["next_step"] for d in data["deals"]}
    assert steps[1]["what"] == "Demo to CFO" and steps[2] is None
    csv_out = run(runner, deal_db, "pipeline", "--format", "csv").output
    head, *lines = csv_out.splitlines()
    assert head.endswith("next_step,next_step_who,next_step_due,next_step_done")
    assert any(line.startswith("1,") and "Demo to CFO,,2026-11-10," in line for line in lines)
    md = run(runner, deal_db, "pipeline", "--format", "md").output
    assert "| next step |" in md and "Demo to CFO (due 2026-11-10) — OVERDUE by 10 days" in md
    html = run(runner, deal_db, "pipeline", "--format", "html").output
    assert "<th>next step</th>" in html and "Demo to CFO (due 2026-11-10)" in html
    prep = run(runner, deal_db, "prep", "1", "--no-analyse", "--lang", "en")
    assert "Agreed next step: Demo to CFO (due 2026-11-10) — OVERDUE by 10 days" in prep.output
    prep_md = run(runner, deal_db, "prep", "2", "--no-analyse", "--lang", "en", "--format", "md")
    assert "Agreed next step: none agreed" in prep_md.output
