"""``kamcoach analyze`` (a note or a JSONL batch) and ``kamcoach deals analyze``."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from kamcoach.cli.context import Ctx, pass_ctx
from kamcoach.cli.output import console, render_rows
from kamcoach.cli.progress import Activity
from kamcoach.errors import InputError
from kamcoach.textsafe import plain

STATUS_STYLE = {
    "missing": "dim",
    "mentioned": "yellow",
    "specific": "cyan",
    "validated": "bold green",
    "gap": "bold red",
}


def _decode(raw: bytes, where: str) -> str:
    if b"\x00" in raw[:65536]:
        raise InputError(f"{where}: looks like binary data, not a text note")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: not UTF-8 text (byte {exc.start})") from None


def _read_input(source: str) -> tuple[str, bytes]:
    if source == "-":
        return "<stdin>", sys.stdin.buffer.read()
    path = Path(source)
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected a text or .jsonl file")
    try:
        return str(path), path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None


def _jsonl_items(
    where: str, text: str, lang: str, skipped: list[str]
) -> Iterator[tuple[Any, str, str | None]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            skipped.append(f"{where}:{number}: invalid JSON ({exc.msg}); line skipped")
            continue
        except RecursionError:
            skipped.append(f"{where}:{number}: invalid JSON (nested too deeply); line skipped")
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            skipped.append(f"{where}:{number}: expected an object with a string 'text'; skipped")
            continue
        note_lang = obj.get("lang") or (None if lang == "auto" else lang)
        if note_lang not in (None, "auto", "fr", "en"):
            skipped.append(f"{where}:{number}: unknown lang {note_lang!r} (fr, en); skipped")
            continue
        note_id = obj.get("id", number)
        problem = _unwritable(note_id, obj["text"])
        if problem:
            skipped.append(f"{where}:{number}: {problem}; skipped")
            continue
        yield note_id, obj["text"], None if note_lang == "auto" else note_lang


def _unwritable(note_id: Any, text: str) -> str | None:
    """Why a parsed line cannot be analysed and echoed back, or None.

    JSON may escape a lone surrogate (``"\\ud800"``) that no UTF-8 output can
    hold, and spaCy's tokenizer hashes every string as UTF-8: such a line used to
    abort the whole batch. An id of NaN or Infinity would make our own JSONL
    output invalid JSON.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"'text' holds an invalid character (lone surrogate at {exc.start})"
    try:
        json.dumps(note_id, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except UnicodeEncodeError:
        return "'id' holds an invalid character (lone surrogate)"
    except (ValueError, RecursionError):
        return "'id' must be a string or a finite number"
    return None


def _highlighted(text: str, highlights: list[tuple[int, int, str, bool]], start: int = 0) -> Any:
    from rich.text import Text

    out = Text(text)
    for hs, he, _cid, negated in highlights:
        lo, hi = hs - start, he - start
        if hi <= 0 or lo >= len(text):
            continue
        out.stylize(
            "bold red underline" if negated else "bold green", max(0, lo), min(len(text), hi)
        )
    return out


def print_analysis(analysis: Any, text: str, playbooks: Any) -> None:
    """The readable per-criterion table, evidence with its cues highlighted."""
    from rich.table import Table
    from rich.text import Text

    out = console()
    pb = playbooks.playbook(analysis.playbook)
    table = Table(
        title=Text(
            f"{pb.name.get(analysis.lang)} · lang {analysis.lang} · overall {analysis.overall:.0f}/100"
        ),
        header_style="bold",
        show_lines=True,
    )
    table.add_column("criterion")
    table.add_column("score", justify="right")
    table.add_column("status")
    table.add_column("evidence")
    for cid, score in analysis.scores.items():
        crit = playbooks.criteria[cid]
        cell = Text()
        for i, ev in enumerate(score.evidence):
            if i:
                cell.append("\n")
            cell.append("✗ " if ev.negated else "✓ ", style="red" if ev.negated else "green")
            cell.append_text(
                _highlighted(
                    ev.text, [h for h in analysis.highlights if h[2] == cid], start=ev.start
                )
            )
        table.add_row(
            plain(crit.name.get(analysis.lang)),
            str(score.score),
            Text(score.status, style=STATUS_STYLE.get(score.status, "")),
            cell,
        )
    out.print(table)
    if analysis.people:
        people = Table(title="People", header_style="bold")
        for col in ("name", "title", "role", "contact"):
            people.add_column(col)
        for p in analysis.people:
            people.add_row(
                plain(p.name),
                plain(p.title),
                plain(p.role),
                str(p.contact_id) if p.contact_id else "new",
            )
        out.print(people)
    if len(text) <= 4000 and analysis.highlights:
        out.print(_highlighted(text, analysis.highlights))


@click.command("analyze")
@click.argument("source", metavar="[FILE|-]", default="-")
@click.option(
    "--lang",
    type=click.Choice(["auto", "fr", "en"]),
    default="auto",
    show_default=True,
    help="Language of the note(s); auto detects it per note.",
)
@click.option(
    "--playbook",
    default="meddic",
    show_default=True,
    metavar="meddic|meddpicc|bant|TEAM_ID",
    help="Which criteria to score: a bundled playbook or one from your team's config folder.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "jsonl"]),
    default="table",
    show_default=True,
    help="A readable table, or JSON / JSON Lines (one object per note) for scripts.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Processes for big JSONL batches.",
)
@pass_ctx
def analyze(obj: Ctx, source: str, lang: str, playbook: str, fmt: str, workers: int) -> None:
    """Score one call note, or a JSONL batch, against MEDDIC, MEDDPICC or BANT.

    FILE is a text file holding one note, a `.jsonl` file of objects with
    `id`, `text` and optional `lang`, or `-` for one note on standard input.
    A bad JSONL line is reported with its number and skipped; the others are
    analysed and the exit status is 1. An empty note scores every criterion
    `missing`.

    \b
    Example:
      kamcoach analyze note.txt
      echo "Budget de 120 k€ validé par le DAF" | kamcoach analyze - --format json
      kamcoach analyze notes.jsonl --playbook bant --format jsonl --workers 2
    """
    from kamcoach.analysis.engine import analyze_text, analyze_texts

    where, raw = _read_input(source)
    text = _decode(raw, where)
    playbooks = obj.playbooks
    playbooks.playbook(playbook)  # an unknown id is one clear error before any work
    if where.endswith(".jsonl"):
        skipped: list[str] = []
        bar = Activity("analysing notes").__enter__()  # closed in the finally below
        results = analyze_texts(
            _jsonl_items(where, text, lang, skipped),
            playbooks=playbooks,
            playbook=playbook,
            workers=workers,
            progress=bar,
            total=sum(1 for line in text.splitlines() if line.strip()),
        )
        rows: list[dict[str, Any]] = []
        bad = done = 0
        try:
            for result in results:
                done += 1
                for message in skipped:
                    click.secho(f"warning: {message}", err=True, fg="yellow")
                bad += len(skipped)
                skipped.clear()
                for message in result.warnings:
                    click.secho(f"warning: {message}", err=True, fg="yellow")
                data = result.to_dict()
                if fmt == "jsonl":
                    click.echo(json.dumps(data, ensure_ascii=False))
                elif fmt == "json":
                    rows.append(data)
                else:
                    rows.append(
                        {
                            "id": data["id"],
                            "lang": data["lang"],
                            "overall": data["overall"],
                            **{
                                cid: f"{c['score']} {c['status']}"
                                for cid, c in data["criteria"].items()
                            },
                        }
                    )
        finally:
            bar.close()
        for message in skipped:
            click.secho(f"warning: {message}", err=True, fg="yellow")
        bad += len(skipped)
        if fmt == "json":
            click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        elif fmt == "table":
            render_rows(rows, "table", title=f"{playbook} analysis")
        if bad:
            # The good lines are out; the exit status tells a script some were not.
            raise InputError(
                f"{where}: {bad} bad line{'s' if bad != 1 else ''} skipped, "
                f"{done} note{'s' if done != 1 else ''} analysed"
            )
        return
    name = None if source == "-" else Path(source).name
    with Activity("analysing the note"):  # loading the language model takes seconds
        analysis = analyze_text(
            text, playbooks=playbooks, playbook=playbook, lang=lang, note_id=name
        )
    for message in analysis.warnings:
        click.secho(f"warning: {message}", err=True, fg="yellow")
    if fmt == "json":
        click.echo(json.dumps(analysis.to_dict(), ensure_ascii=False, indent=2))
    elif fmt == "jsonl":
        click.echo(json.dumps(analysis.to_dict(), ensure_ascii=False))
    else:
        print_analysis(analysis, text, playbooks)


@click.command("analyze")
@click.argument("deal", required=False)
@click.option("--all", "all_", is_flag=True, help="Analyse every deal that has notes.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "jsonl"]),
    default="table",
    show_default=True,
)
@pass_ctx
def deals_analyze(obj: Ctx, deal: str | None, all_: bool, fmt: str) -> None:
    """Analyse a deal's stored notes (or all deals) and save an analyser review.

    Only notes whose text changed since the last run are read again; a new
    review is saved only when the result changed (older reviews are kept).
    With --all, a deal that cannot be analysed (an unknown playbook) is
    reported and skipped, the others are analysed, and the exit status is 1.

    \b
    Example:
      kamcoach deals analyze 12
      kamcoach deals analyze --all --format jsonl
    """
    from kamcoach.review import deal_analysis

    if bool(deal) == all_:
        raise InputError("give a DEAL (id or name) or --all, not both")
    db, playbooks = obj.db, obj.playbooks
    skipped: list[tuple[int, str]] = []
    if all_:
        bar = Activity("analysing deals").__enter__()  # closed in the finally below
        noted: list[tuple[int, str]] = []
        try:
            results = deal_analysis.analyze_all(
                db, playbooks, progress=bar, skipped=skipped, warnings=noted
            )
        finally:
            bar.close()
        for deal_id, message in noted:
            click.secho(f"warning: deal #{deal_id}, {message}", err=True, fg="yellow")
    else:
        from kamcoach.storage import repo

        row = repo.get_deal(db, deal or "")
        with Activity(f"analysing the notes of #{row['id']}"):  # the model loads: seconds
            review, verdict = deal_analysis.analyze_deal(db, row["id"], playbooks)
        results = [(row["id"], review, verdict)]
        for message in deal_analysis.last_stats.warnings:
            click.secho(f"warning: deal #{row['id']}, {message}", err=True, fg="yellow")
        if fmt == "table":
            stats = deal_analysis.last_stats
            click.echo(
                f"deal #{row['id']}: {stats.notes} notes, {stats.analysed} analysed, "
                f"{stats.cached} unchanged; review {'saved' if stats.saved else 'unchanged'}"
            )
            if stats.proposals:
                click.echo(
                    f"{stats.proposals} new proposal(s) about people: "
                    f"kamcoach proposals list {row['id']}"
                )
    rows = [
        {
            "deal": deal_id,
            "stage": verdict.stage,
            "overall": review.overall,
            "gate": "pass"
            if verdict.passed
            else "below: " + ", ".join(f"{c} {s}/{m}" for c, (s, m) in verdict.below.items()),
            **{cid: f"{s.score} {s.status}" for cid, s in review.scores.items()},
        }
        for deal_id, review, verdict in results
    ]
    if fmt == "table" and not all_ and results:
        from kamcoach.review.in_force import deal_in_force

        deal_id, review, _verdict = results[0]
        found = deal_in_force(db, deal_id)
        detail = [
            {
                "criterion": cid,
                "score": s.score,
                "status": s.status,
                "evidence": " | ".join(
                    ("✗ " if e.negated else "") + e.text[:120] for e in s.evidence[:2]
                ),
                # A person's score stays in force over the notes: say whose and why.
                "in force": found[cid].why()
                if cid in found and found[cid].author_kind != "analyser"
                else "",
            }
            for cid, s in review.scores.items()
        ]
        render_rows(
            detail,
            "table",
            title=f"Deal #{rows[0]['deal']}: {review.overall:.0f}/100, gate {rows[0]['gate']}",
        )
        return
    render_rows(rows, fmt, title="Analyser reviews")
    if skipped:
        for deal_id, message in skipped:
            click.secho(f"warning: deal #{deal_id} skipped: {message}", err=True, fg="yellow")
        # The analysed deals are saved and printed; the exit status tells a script some were not.
        raise InputError(
            f"{len(skipped)} deal{'s' if len(skipped) != 1 else ''} skipped, "
            f"{len(results)} analysed"
        )


def register(group: click.Group) -> None:
    group.add_command(analyze)
    from kamcoach.cli.deals_cmd import deals

    deals.add_command(deals_analyze)
