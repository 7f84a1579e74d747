"""Names that look like markup are shown verbatim, never read as markup (issue 11.1).

Deal, account, owner, contact and note author names, note texts and JSONL ids
come from CRM exports and people. Rich and Textual read ``[...]`` as markup:
``[/red]`` crashed every table command and the TUI, ``Renewal [phase 2]``
lost its bracket, ``[link=...]`` made a terminal hyperlink. Markdown reports
inserted names as raw HTML. These tests feed such names through every table
command via the real click entry point, through the TUI screens with Pilot,
and through the Markdown and HTML reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import html as html_lib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from kamcoach.cli.main import main
from kamcoach.storage.db import open_db

STAMP = "2026-11-01T10:00:00"
WIDE = {"COLUMNS": "400", "LINES": "200"}

#: Pieces that Rich, Textual, Markdown or HTML would read as syntax.
HOSTILE = [
    "[/red]",
    "[link=http://x]",
    "[phase 2]",
    "[b]",
    "[/]",
    "[bold red]",
    "[@click=app.quit]",
    "[ x ]",
    "[$x]",
    "\\[",
    "\\",
    "\\\\",
    ":smile:",
    "<script>alert(1)</script>",
    "&amp;",
    "<b>",
    "a|b",
    "*x*",
    "_y_",
    "`c`",
    "[x](http://e)",
    "~~s~~",
    "Émilie",
    "東京",
    "ß",
]

_piece = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(
        alphabet=st.characters(categories=("L", "N", "P", "S"), max_codepoint=0x2FF),
        min_size=1,
        max_size=5,
    ),
)
#: A name: up to four pieces, single spaces, no leading or trailing space.
names = (
    st.lists(_piece, min_size=1, max_size=4)
    .map(lambda parts: " ".join(parts))
    .map(lambda s: re.sub(r"\s+", " ", s).strip())
    .filter(lambda s: 0 < len(s) <= 40)
)


def seed(
    db: Database,
    *,
    account: str,
    deal: str,
    owner: str,
    contact: str,
    author: str,
    extra: str = "",
) -> None:
    """One account, one open deal with a champion contact, a call note and a rep override."""
    from datetime import datetime

    from kamcoach.domain.models import CriterionScore, Review
    from kamcoach.storage.repo import save_review

    with db.atomic():
        db["accounts"].insert({"id": 1, "name": account, "country": "FR", "created_at": STAMP})
        db["contacts"].insert(
            {
                "id": 1,
                "account_id": 1,
                "name": contact,
                "title": "CFO",
                "buying_role": "champion",
                "created_at": STAMP,
            }
        )
        db["opportunities"].insert(
            {
                "id": 1,
                "account_id": 1,
                "name": deal,
                "amount": 120000,
                "currency": "EUR",
                "stage": "proposal",
                "close_date": "2026-12-15",
                "owner": owner,
                "playbook": "meddic",
                "created_at": STAMP,
                "stage_changed_at": STAMP,
            }
        )
        db["opportunity_contacts"].insert(
            {"opportunity_id": 1, "contact_id": 1, "role": "champion", "engaged": 1}
        )
        text = (
            f"Call with {contact} about {deal}. "
            f"The budget of 120k for {extra or deal} is approved by the CFO."
        )
        db["notes"].insert(
            {
                "id": 1,
                "opportunity_id": 1,
                "created_at": "2026-11-02T11:00:00",
                "author": author,
                "lang": "en",
                "text": text,
                "content_hash": "h1",
            }
        )
    save_review(
        db,
        Review(
            opportunity_id=1,
            playbook="meddic",
            author_kind="rep",
            created_at=datetime(2026, 11, 10, 12, 0),
            overall=20.0,
            scores={"metrics": CriterionScore("metrics", 1, "mentioned", reason=extra or deal)},
            author=owner,
            comment=extra or deal,
        ),
    )


def invoke(runner: CliRunner, db_path: Path, *args: str) -> Any:
    result = runner.invoke(main, ["--db", str(db_path), *args], env=WIDE)
    detail = f"{args}: exit {result.exit_code}\n{result.output}"
    assert result.exception is None or isinstance(result.exception, SystemExit), detail + repr(
        result.exception
    )
    assert result.exit_code == 0, detail
    return result


def _evidence_quotes(db_path: Path) -> list[str]:
    """The analyser's quotes as `deals analyze` prints them (first two per criterion)."""
    from kamcoach.storage.repo import latest_review

    db = open_db(db_path)
    try:
        review = latest_review(db, 1, author_kind="analyser")
    finally:
        db.close()
    assert review is not None
    return [e.text[:120] for s in review.scores.values() for e in s.evidence[:2]]


def check_table_commands(db_path: Path, tmp: Path, **who: str) -> None:
    """Every table command prints each name exactly as stored, and exits 0."""
    runner = CliRunner()
    deal, account, owner = who["deal"], who["account"], who["owner"]
    contact, author, extra = who["contact"], who["author"], who["extra"]

    out = invoke(runner, db_path, "deals", "list").output
    for name in (deal, account, owner):
        assert name in out, (name, out)
    out = invoke(runner, db_path, "accounts", "list").output
    assert account in out, (account, out)
    out = invoke(runner, db_path, "deals", "show", "1").output
    for name in (f"#1 {deal}", account, owner, contact, author, f"override: {extra}"):
        assert name in out, (name, out)
    out = invoke(runner, db_path, "prep", "1").output
    for name in (f"#1 {deal}", account, owner, contact):
        assert name in out, (name, out)
    out = invoke(runner, db_path, "deals", "analyze", "1").output
    for quote in _evidence_quotes(db_path):  # the note's words, whatever they hold, as stored
        assert quote in out, (quote, out)
    out = invoke(runner, db_path, "pipeline").output
    assert f"#1 {deal} · {account} · {owner}" in out, out
    out = invoke(runner, db_path, "coach").output
    assert f"{owner}: 1 open deal" in out, out

    batch = tmp / "notes.jsonl"
    ids = [deal, account, owner]
    batch.write_text(
        "".join(
            json.dumps({"id": i, "text": "Budget approved by the CFO.", "lang": "en"}) + "\n"
            for i in ids
        ),
        encoding="utf-8",
    )
    out = invoke(runner, db_path, "analyze", str(batch)).output
    for name in ids:
        assert name in out, (name, out)


@pytest.mark.parametrize(
    "extra", ["[bold red]x[/] :smile: <script>", "[/red] \\[b] trail \\", "[link=http://x]y"]
)
def test_deals_analyze_quotes_note_text_verbatim(tmp_path: Path, extra: str) -> None:
    """The evidence column of `deals analyze` quotes the note as written."""
    db_path = tmp_path / "kamcoach.db"
    db = open_db(db_path)
    seed(db, account="Acme", deal="ERP", owner="Sam", contact="Jo", author="Me", extra=extra)
    db.close()
    out = invoke(CliRunner(), db_path, "deals", "analyze", "1").output
    assert f"The budget of 120k for {extra} is approved by the CFO." in out, out


# One shared analyser load for the whole module: CliRunner runs in this process.
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(deal=names, account=names, owner=names, contact=names, author=names, extra=names)
@example(
    deal="Renewal [phase 2]",
    account="[/red] Acme",
    owner="[link=http://x]Sam[/link]",
    contact="Jo \\[b] [b]",
    author="trail \\",
    extra="[bold red]x[/] :smile: <script>",
)
@example(
    deal="x \\\\",
    account="[ x ] [$x]",
    owner="[@click=app.quit]",
    contact="东京 [/]",
    author="\\\\\\",
    extra="a|b *x* _y_",
)
def test_cli_tables_show_hostile_names_verbatim(
    tmp_path_factory: pytest.TempPathFactory,
    deal: str,
    account: str,
    owner: str,
    contact: str,
    author: str,
    extra: str,
) -> None:
    tmp = tmp_path_factory.mktemp("hostile")
    db_path = tmp / "kamcoach.db"
    db = open_db(db_path)
    seed(db, account=account, deal=deal, owner=owner, contact=contact, author=author, extra=extra)
    db.close()
    check_table_commands(
        db_path,
        tmp,
        deal=deal,
        account=account,
        owner=owner,
        contact=contact,
        author=author,
        extra=extra,
    )


# ---------------------------------------------------------------- reports and Markdown


HTMLISH = {
    "deal": "<img src=x onerror=alert(1)> & [x](http://e)",
    "account": "<script>alert('a')</script>",
    "owner": "Sam <b>Green</b> | *boss*",
    "contact": "Jo_the_`champ`",
    "author": "<i>me</i>",
    "extra": "&lt;raw&gt;",
}


@pytest.fixture
def html_db(tmp_path: Path) -> Path:
    db_path = tmp_path / "kamcoach.db"
    db = open_db(db_path)
    seed(db, **HTMLISH)
    db.close()
    return db_path


def _markdown_text(markdown: str) -> str:
    """What a CommonMark renderer shows: markdown-it to HTML, tags dropped, entities decoded."""
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("gfm-like").render(markdown)
    assert "<script" not in rendered and "<img" not in rendered and "<b>" not in rendered
    # A bare URL may be auto-linked (GFM does), but no name hides a link behind other text.
    for href, label in re.findall(r'<a href="([^"]*)">(.*?)</a>', rendered):
        assert html_lib.unescape(label) == html_lib.unescape(href), rendered
    return html_lib.unescape(re.sub(r"<[^>]+>", "", rendered))


@pytest.mark.parametrize(
    "args",
    [
        ("pipeline", "--format", "md"),
        ("coach", "--format", "md"),
        ("prep", "1", "--format", "md", "--no-analyse"),
        ("deals", "list", "--format", "md"),
    ],
)
def test_markdown_outputs_insert_names_as_text(html_db: Path, args: tuple[str, ...]) -> None:
    out = invoke(CliRunner(), html_db, *args).output
    shown = _markdown_text(out)
    expected = {
        "pipeline": ("deal", "account", "owner"),
        "coach": ("owner",),
        "prep": ("deal", "account", "owner", "contact"),
        "deals": ("deal", "account", "owner"),
    }[args[0]]
    for key in expected:
        assert HTMLISH[key] in shown, (key, shown)


@pytest.mark.parametrize("command", ["pipeline", "coach"])
def test_html_reports_escape_names(html_db: Path, command: str) -> None:
    out = invoke(CliRunner(), html_db, command, "--format", "html").output
    assert "<script>alert" not in out and "<img src=x" not in out and "<b>Green" not in out
    text = html_lib.unescape(re.sub(r"<style>.*?</style>|<[^>]+>", "", out, flags=re.S))
    keys = ("deal", "account", "owner") if command == "pipeline" else ("owner",)
    for key in keys:
        assert HTMLISH[key] in text, (key, text[:2000])


# ---------------------------------------------------------------- the terminal app


TUI_NAMES = [
    {
        "deal": "Renewal [phase 2] [/red]",
        "account": "[link=http://x]Acme[/link]",
        "owner": "Sam [b]Green",
        "contact": "Jo \\[b] [$x] [ x ]",
        "author": "trail \\",
        "extra": "[bold red]x[/] <script>",
    },
    {
        "deal": "Deal \\\\ [@click=app.quit] _y_",
        "account": "東京 & <b>Co</b>",
        "owner": "[/]",
        "contact": "[dim]Claire",
        "author": "*me*",
        "extra": "a|b `c` [x](http://e)",
    },
]


def _lines(widget: Any) -> str:
    """The widget's visible text, as painted (every line of its region)."""
    from textual.geometry import Region

    size = widget.size
    strips = widget.render_lines(Region(0, 0, size.width, size.height))
    return "\n".join(strip.text.rstrip() for strip in strips)


def _text(widget: Any) -> str:
    return str(widget.render())


@pytest.mark.parametrize("who", TUI_NAMES, ids=["rich-tags", "backslashes"])
def test_tui_screens_show_hostile_names_verbatim(
    tmp_path: Path, who: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import DataTable, Markdown, Select
    from textual.widgets._markdown import MarkdownBlock

    from kamcoach.playbooks.loader import load_playbooks
    from kamcoach.tui.app import make_app
    from kamcoach.tui.dialogs.filters import FilterDialog
    from kamcoach.tui.dialogs.note import NoteDialog
    from kamcoach.tui.screens.checklist import ChecklistScreen
    from kamcoach.tui.screens.deal import DealScreen
    from kamcoach.tui.screens.pipeline import PipelineScreen
    from kamcoach.tui.screens.qualify import QualifyScreen

    db = open_db(tmp_path / "kamcoach.db")
    seed(db, **who)
    app = make_app(db, load_playbooks(), preload_model=False, export_dir=tmp_path)
    deal, account, owner = who["deal"], who["account"], who["owner"]
    seen: dict[str, str] = {}

    async def settle(pilot: Any) -> None:
        from textual.worker import WorkerCancelled

        for _ in range(3):
            with contextlib.suppress(WorkerCancelled):
                await pilot.app.workers.wait_for_complete()
            await pilot.pause()

    async def scenario() -> None:
        async with app.run_test(size=(200, 50)) as pilot:
            await settle(pilot)
            pipeline = pilot.app.screen
            assert isinstance(pipeline, PipelineScreen)
            seen["table"] = _lines(pipeline.query_one("#deals", DataTable))
            seen["row"] = _text(pipeline.query_one("#pipeline-row"))

            await pilot.press("f")
            await pilot.pause()
            dialog = pilot.app.screen
            assert isinstance(dialog, FilterDialog)
            select = dialog.query_one("#owner", Select)
            select.value = owner
            await pilot.pause()
            seen["filter_owner"] = _text(select.query_one("#label"))
            await pilot.press("escape")
            await pilot.pause()
            assert pilot.app.screen is pipeline

            await pilot.press("enter")
            await settle(pilot)
            screen = pilot.app.screen
            assert isinstance(screen, DealScreen)
            seen["head"] = _text(screen.query_one("#deal-head"))
            seen["contacts"] = _text(screen.query_one("#contacts"))
            seen["notes"] = _text(screen.query_one("#notes"))
            seen["sub_title"] = str(screen.sub_title)

            await pilot.press("g")
            await settle(pilot)
            assert isinstance(pilot.app.screen, QualifyScreen)
            seen["qualify"] = _text(pilot.app.screen.query_one("#q-head"))
            await pilot.press("escape")
            await settle(pilot)

            await pilot.press("p")
            await settle(pilot)
            checklist = pilot.app.screen
            assert isinstance(checklist, ChecklistScreen)
            seen["checklist_head"] = _text(checklist.query_one("#checklist-head"))
            body = checklist.query_one("#checklist-md", Markdown)
            seen["checklist"] = "\n".join(_text(b) for b in body.query(MarkdownBlock))
            await pilot.press("escape")
            await settle(pilot)

            await pilot.press("n")
            await pilot.pause()
            dialog = pilot.app.screen
            assert isinstance(dialog, NoteDialog)
            seen["note_dialog"] = _text(dialog.query_one("Label"))
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(pilot.app.screen, DealScreen)

    asyncio.run(scenario())
    assert app.return_code in (0, None), app.return_code

    assert deal in seen["table"] and account in seen["table"], seen["table"]
    assert f"#1 {deal} · {account} · close" in seen["row"], seen["row"]
    assert seen["filter_owner"] == owner, seen["filter_owner"]
    assert f"#1 {deal} · {account} · proposal" in seen["head"], seen["head"]
    assert owner in seen["head"], seen["head"]
    assert who["contact"] in seen["contacts"], seen["contacts"]
    assert who["author"] in seen["notes"] and who["extra"] in seen["notes"], seen["notes"]
    assert seen["sub_title"] == deal
    assert f"Qualify #1 {deal}" in seen["qualify"], seen["qualify"]
    assert f"Prep #1 {deal} ·" in seen["checklist_head"], seen["checklist_head"]
    for name in (deal, account, owner, who["contact"]):
        assert name in seen["checklist"], (name, seen["checklist"])
    assert seen["note_dialog"] == f"New note on {deal} (French or English)"


FAILURE = "no deal '[/red] x [b]' in \\[i] file.db\\"


def test_palette_and_toasts_show_hostile_names_verbatim(tmp_path: Path) -> None:
    from textual.command import CommandList
    from textual.widgets._toast import Toast

    from kamcoach.playbooks.loader import load_playbooks
    from kamcoach.tui.app import make_app
    from kamcoach.tui.messages import WorkFailed
    from kamcoach.tui.screens.pipeline import PipelineScreen

    who = TUI_NAMES[0]
    toasts: list[str] = []
    db = open_db(tmp_path / "kamcoach.db")
    seed(db, **who)
    app = make_app(db, load_playbooks(), preload_model=False, export_dir=tmp_path)
    prompts: list[str] = []

    async def scenario() -> None:
        async with app.run_test(size=(160, 40), notifications=True) as pilot:
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"renewal")
            await pilot.pause(0.5)
            options = pilot.app.screen.query_one(CommandList)
            prompts.extend(
                str(options.get_option_at_index(i).prompt) for i in range(options.option_count)
            )
            await pilot.press("escape")
            await pilot.pause()
            # A failure message quoting a name is a toast shown as text.
            pipeline = pilot.app.screen
            assert isinstance(pipeline, PipelineScreen)
            pipeline.post_message(WorkFailed("pipeline review", FAILURE))
            await pilot.pause(0.3)
            toasts.extend(str(t.render()) for t in pilot.app.screen.query(Toast))

    asyncio.run(scenario())
    assert app.return_code in (0, None)
    assert toasts == [f"pipeline review failed: {FAILURE}"], toasts
    joined = "\n".join(prompts)
    assert f"Deal: {who['deal']}" in joined, joined
    assert f"#1 · {who['account']} · proposal · {who['owner']}" in joined, joined


def test_import_shows_file_and_headers_verbatim_and_names_survive(tmp_path: Path) -> None:
    """A CRM export whose file name, headers and values look like markup: shown as they are."""
    source = tmp_path / "[red] export [b] \\[i].csv"
    source.write_text(
        "Opportunity ID,Opportunity Name,Account Name,Stage,Amount,Amount Currency,"
        "Close Date,Opportunity Owner,Memo [phase 2] \\\n"
        '006A,Renewal [phase 2] [/red],[link=http://x]Acme,Proposal/Price Quote,"$1,000.00",'
        "USD,12/15/2026,Sam \\[b] Green,x\n",
        encoding="utf-8",
    )
    db_path = tmp_path / "kamcoach.db"
    runner = CliRunner()
    out = invoke(runner, db_path, "import", str(source)).output
    assert "Salesforce opportunities export: [red] export" in out, out  # the table title
    assert "[red] export [b] \\[i].csv" in out, out
    assert "Memo [phase 2] \\" in out and "Memo [phase 2] \\\\" not in out, out
    out = invoke(runner, db_path, "deals", "list").output
    for name in ("Renewal [phase 2] [/red]", "[link=http://x]Acme", "Sam \\[b] Green"):
        assert name in out, (name, out)


def test_import_progress_label_is_text() -> None:
    """The import progress bar (on a terminal) names the file as text."""
    import io

    from rich.console import Console

    from kamcoach.cli.progress import Activity

    buffer = io.StringIO()
    terminal = Console(file=buffer, force_terminal=True, width=120)
    with Activity("Reading [/red] deals [b].csv", console=terminal, delay=0) as update:
        update(5000, 5000)
    assert "Reading [/red] deals [b].csv" in buffer.getvalue()


_md_piece = st.sampled_from(
    [*"[]\\`*_~<>&|#-+=.)!( ab1é", "&amp;", "&#35;", "http://e", "<b>", "AT&T", "1.", "---"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_md_piece, min_size=1, max_size=16).map("".join))
def test_md_text_renders_verbatim_wherever_it_is_placed(value: str) -> None:
    """``textsafe.md``: the text a Markdown renderer shows is the value, in every position we use."""
    from markdown_it import MarkdownIt

    from kamcoach.textsafe import md

    value = re.sub(r"\s+", " ", value).strip() or "x"
    parser = MarkdownIt("gfm-like").disable("linkify")
    places = [
        ("x {} y", "x {} y"),
        ("{}", "{}"),
        ("**{}**", "{}"),
        ("- {}", "{}"),
        ("## {}", "{}"),
        ("a\n{}\nb", "a {} b"),
        ("| {} |\n|---|", "{}"),  # a table cell: the table writer escapes the pipes
    ]
    for template, expected in places:
        text = md(value).replace("|", "\\|") if template.startswith("|") else md(value)
        rendered = parser.render(template.format(text))
        assert not re.search(r"<(?!/?(p|strong|ul|li|h2|table|thead|tr|th)>)", rendered), rendered
        shown = html_lib.unescape(re.sub(r"<[^>]+>", " ", rendered))
        assert re.sub(r"\s+", " ", shown).strip() == expected.format(value), (template, rendered)


TEAM_PLAYBOOK = "MEDDIC [/red] team [b]"
TEAM_CRITERION = "Champion [link=http://x]ally\\"


@pytest.fixture
def team_playbooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A team's playbook and criterion files whose names look like markup."""
    from kamcoach.paths import playbooks_dir

    team = tmp_path / "config" / "playbooks"
    (team / "criteria").mkdir(parents=True)
    meddic = (playbooks_dir() / "meddic.toml").read_text(encoding="utf-8")
    (team / "meddic.toml").write_text(
        meddic.replace('en = "MEDDIC"', f"en = {json.dumps(TEAM_PLAYBOOK)}"), encoding="utf-8"
    )
    champion = (playbooks_dir() / "criteria" / "champion.toml").read_text(encoding="utf-8")
    (team / "criteria" / "champion.toml").write_text(
        champion.replace('en = "Champion"', f"en = {json.dumps(TEAM_CRITERION)}", 1),
        encoding="utf-8",
    )
    monkeypatch.setenv("KAMCOACH_CONFIG_DIR", str(tmp_path / "config"))


def test_team_playbook_names_shown_verbatim(tmp_path: Path, team_playbooks: None) -> None:
    """Playbook and criterion names from a team's files: the CLI and the TUI show them as text."""
    from kamcoach.playbooks.loader import load_playbooks
    from kamcoach.tui.app import make_app
    from kamcoach.tui.dialogs.override import OverrideDialog
    from kamcoach.tui.screens.deal import DealScreen

    db_path = tmp_path / "kamcoach.db"
    db = open_db(db_path)
    seed(db, **HTMLISH)
    runner = CliRunner()
    out = invoke(runner, db_path, "playbooks", "show", "meddic").output
    assert f"{TEAM_PLAYBOOK} (meddic)" in out and TEAM_CRITERION in out, out
    out = invoke(runner, db_path, "deals", "show", "1").output
    assert TEAM_CRITERION in out, out

    playbooks = load_playbooks()
    assert playbooks.playbooks["meddic"].name.en == TEAM_PLAYBOOK
    app = make_app(db, playbooks, preload_model=False, export_dir=tmp_path)
    seen: dict[str, str] = {}

    async def scenario() -> None:
        async with app.run_test(size=(160, 40)) as pilot:
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            pilot.app.open_deal(1)
            await pilot.pause()
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            deal = pilot.app.screen
            assert isinstance(deal, DealScreen)
            seen["head"] = _text(deal.query_one("#deal-head"))
            seen["scorecard"] = _lines(deal.query_one("#scorecard"))
            row = deal.criteria.index("champion")
            deal.query_one("#scorecard").move_cursor(row=row)
            await pilot.pause()
            seen["evidence"] = _text(deal.query_one("#evidence"))
            await pilot.press("o")
            await pilot.pause()
            dialog = pilot.app.screen
            assert isinstance(dialog, OverrideDialog)
            seen["override"] = _text(dialog.query_one("Label"))
            await pilot.press("escape")
            await pilot.pause()

    asyncio.run(scenario())
    assert app.return_code in (0, None)
    assert f"{TEAM_PLAYBOOK}: " in seen["head"], seen["head"]
    assert TEAM_CRITERION[:17] in seen["scorecard"], seen["scorecard"]  # a 17-column cell
    assert seen["evidence"].startswith(f"{TEAM_CRITERION}: "), seen["evidence"]
    assert seen["override"].startswith(f"Override {TEAM_CRITERION} (now "), seen["override"]


def test_note_dialog_failure_quoting_a_name_is_shown_as_text() -> None:
    """A save error that quotes user text (a deal name) is a toast and a line, not markup."""
    from textual.app import App
    from textual.widgets import TextArea
    from textual.widgets._toast import Toast

    from kamcoach.errors import InputError
    from kamcoach.tui.dialogs.note import NoteDialog

    name = "Renewal [/red] [phase 2]"

    def save(_text: str) -> None:
        raise InputError(f"deal {name!r} cannot take notes")

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(NoteDialog(name, save=save))

    async def main() -> None:
        app = Host()
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, NoteDialog)
            dialog.query_one(TextArea).insert("Met the CFO.")
            await pilot.press("ctrl+s")
            await app.workers.wait_for_complete()
            await pilot.pause(0.3)
            assert app.screen is dialog and dialog.query_one(TextArea).text == "Met the CFO."
            assert name in str(dialog.query_one("#note-error").render())
            # Each notification rendered the way its toast renders it (the toast rack of a
            # modal screen is not queryable from the test; _notifications is the app's list).
            toasts.extend(str(Toast(n).render()) for n in app._notifications)

    toasts: list[str] = []
    asyncio.run(main())
    assert toasts == [f"Note not saved: deal {name!r} cannot take notes"], toasts
