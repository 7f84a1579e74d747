"""A deal's next step: set, complete, history, validation; shown by the pipeline and the checklist."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlite_utils import Database
from test_review_support import TODAY, add_deal

from kamcoach.errors import InputError, NotFoundError
from kamcoach.playbooks.loader import load_playbooks
from kamcoach.records import next_steps
from kamcoach.review.pipeline import review_pipeline, review_pipeline_reference
from kamcoach.review.prep import build_checklist, checklist_markdown


def dump(db: Database) -> list[str]:
    return list(db.conn.iterdump())


@pytest.fixture
def user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    folder = Path(str(tmp_path / "cfg"))
    (folder / "kamcoach").mkdir(parents=True)
    (folder / "kamcoach" / "config.toml").write_text('[user]\nname = "Camille Martin"\n', "utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))
    return "Camille Martin"


def test_set_current_history_and_done(db: Database, user: str) -> None:
    add_deal(db, 1, name="Acme ERP")
    assert next_steps.current(db, 1) is None
    first = next_steps.set_next_step(
        db, "Acme ERP", "  Demo to   the CFO ", who="Claire", due="2026-12-04"
    )
    assert first.changed and first.warning is None
    step = first.step
    assert (step.what, step.who, step.due_date, step.source, step.set_by) == (
        "Demo to the CFO",
        "Claire",
        date(2026, 12, 4),
        "deal",
        user,  # config.toml [user] name
    )
    assert step.set_at == "2026-11-20T12:00:00"
    second = next_steps.set_next_step(
        db, 1, "Send the proposal", due=date(2026, 12, 10), source="review", set_by="Boss"
    )
    assert next_steps.current(db, 1) == second.step
    assert [s.what for s in next_steps.history(db, 1)] == ["Send the proposal", "Demo to the CFO"]
    done = next_steps.mark_done(db, 1, done_at="2026-11-21T09:00:00")
    assert done.done and done.done_at == "2026-11-21T09:00:00" and done.id == second.step.id
    assert done.summary(TODAY) == "Send the proposal (due 2026-12-10) — done 2026-11-21"
    rows = db.execute("SELECT what, source, set_by, done_at FROM next_steps ORDER BY id").fetchall()
    assert rows == [
        ("Demo to the CFO", "deal", user, None),
        ("Send the proposal", "review", "Boss", "2026-11-21T09:00:00"),
    ]


def test_same_open_step_again_records_nothing(db: Database, user: str) -> None:
    add_deal(db, 1)
    next_steps.set_next_step(db, 1, "Demo", who="Claire", due="2026-12-04")
    again = next_steps.set_next_step(db, 1, "Demo", who="Claire", due="2026-12-04")
    assert not again.changed
    assert db.execute("SELECT COUNT(*) FROM next_steps").fetchone() == (1,)
    next_steps.mark_done(db, 1)
    # The same words after it was done are a new step (a second demo).
    assert next_steps.set_next_step(db, 1, "Demo", who="Claire", due="2026-12-04").changed


def test_past_due_date_is_stored_with_a_warning(db: Database, user: str) -> None:
    add_deal(db, 1)
    result = next_steps.set_next_step(db, 1, "Call back", due="2026-11-10")
    assert result.changed
    assert result.warning == "due date 2026-11-10 is already past (today is 2026-11-20)"
    assert result.step.overdue(TODAY)
    assert result.step.summary(TODAY) == "Call back (due 2026-11-10) — OVERDUE by 10 days"
    assert "EN RETARD de 10 jours" in result.step.summary(TODAY, "fr")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"what": "   "}, InputError, "'what' is empty"),
        ({"what": "x", "due": "04/12/2026"}, InputError, "due date '04/12/2026' is not YYYY-MM-DD"),
        ({"what": "x", "source": "email"}, InputError, "unknown next-step source 'email'"),
        ({"what": "x" * 501}, InputError, "at most 500"),
        ({"what": "x", "who": "y" * 201}, InputError, "at most 200"),
        ({"what": "x", "deal": "Nope"}, NotFoundError, "no deal with id or name 'Nope'"),
    ],
)
def test_refused_values_write_nothing(
    db: Database, user: str, kwargs: dict[str, str], error: type[Exception], message: str
) -> None:
    add_deal(db, 1)
    before = dump(db)
    deal = kwargs.pop("deal", "1")
    what = kwargs.pop("what")
    with pytest.raises(error, match=message):
        next_steps.set_next_step(db, deal, what, **kwargs)  # type: ignore[arg-type]
    assert dump(db) == before


def test_mark_done_without_an_open_step_is_an_error(db: Database, user: str) -> None:
    add_deal(db, 1)
    with pytest.raises(NotFoundError, match="deal #1 has no next step"):
        next_steps.mark_done(db, 1)
    next_steps.set_next_step(db, 1, "Demo")
    next_steps.mark_done(db, 1)
    before = dump(db)
    with pytest.raises(InputError, match="already done"):
        next_steps.mark_done(db, 1)
    assert dump(db) == before


def test_latest_by_deal_reads_each_deals_latest_row(db: Database, user: str) -> None:
    for deal_id in (1, 2, 3):
        add_deal(db, deal_id)
    next_steps.set_next_step(db, 1, "old", set_at="2026-11-01T10:00:00")
    next_steps.set_next_step(db, 1, "new", set_at="2026-11-02T10:00:00")
    next_steps.set_next_step(db, 2, "same time, first", set_at="2026-11-02T10:00:00")
    next_steps.set_next_step(db, 2, "same time, later id", set_at="2026-11-02T10:00:00")
    latest = next_steps.latest_by_deal(db)
    assert {k: v.what for k, v in latest.items()} == {1: "new", 2: "same time, later id"}
    scoped = next_steps.latest_by_deal(db, "d.opportunity_id IN (?)", [2])
    assert list(scoped) == [2]
    # Index only: no scan of the table and no sort, whatever the number of steps.
    plan = str(
        db.execute("EXPLAIN QUERY PLAN SELECT DISTINCT opportunity_id FROM next_steps d").fetchall()
        + db.execute(
            "EXPLAIN QUERY PLAN SELECT m.id FROM next_steps m WHERE m.opportunity_id = 1 "
            "ORDER BY m.set_at DESC, m.id DESC LIMIT 1"
        ).fetchall()
    )
    assert "COVERING INDEX" in plan and "TEMP B-TREE" not in plan, plan
    rows = next_steps.latest_rows_by_deal(db)
    assert next_steps.step_from_row(rows[1]) == latest[1]
    assert next_steps.step_from_row(None) is None


def test_pipeline_rows_carry_the_next_step_in_both_review_paths(db: Database, user: str) -> None:
    add_deal(db, 1)
    add_deal(db, 2)
    next_steps.set_next_step(db, 1, "Demo to the CFO", who="Claire", due="2026-11-10")
    playbooks = load_playbooks()
    fast = review_pipeline(db, playbooks, today=TODAY)
    reference = review_pipeline_reference(db, playbooks, today=TODAY)
    assert list(fast.deals) == list(reference.deals)
    by_id = {d.id: d for d in fast.deals}
    assert by_id[1].next_step is not None and by_id[1].next_step.what == "Demo to the CFO"
    assert by_id[2].next_step is None
    as_dict = by_id[1].to_dict()["next_step"]
    assert as_dict["due_date"] == "2026-11-10" and as_dict["who"] == "Claire"
    owner_only = review_pipeline(db, playbooks, owner="Alice", today=TODAY)
    assert {d.id: d.next_step is not None for d in owner_only.deals} == {1: True, 2: False}


def test_checklist_says_the_agreed_step_and_when_it_is_overdue(db: Database, user: str) -> None:
    add_deal(db, 1, stage="proposal")
    playbooks = load_playbooks()
    none_yet = build_checklist(db, 1, playbooks, lang="en")
    assert none_yet.next_step_line.startswith("Agreed next step: none agreed")
    next_steps.set_next_step(db, 1, "Demo to the CFO", who="Claire", due="2026-11-10")
    checklist = build_checklist(db, 1, playbooks, lang="en")
    assert checklist.next_step_line == (
        "Agreed next step: Demo to the CFO (Claire, due 2026-11-10) — OVERDUE by 10 days"
    )
    assert "Agreed next step: Demo to the CFO" in checklist_markdown(checklist)
    french = build_checklist(db, 1, playbooks, lang="fr")
    assert french.next_step_line.startswith("Prochaine étape convenue: Demo to the CFO")
    assert "EN RETARD" in french.next_step_line
