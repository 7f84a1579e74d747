"""``kamcoach notes``: add a call note to a deal (argument, file, stdin or $EDITOR), list them."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kamcoach.cli.context import Ctx, pass_ctx
from kamcoach.cli.output import format_option, render_rows
from kamcoach.errors import InputError


def stdin_is_tty() -> bool:
    """True when a person types at the terminal (the editor opens); False for a pipe."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):  # closed or replaced stdin
        return False


def _read_file(source: str) -> str:
    from kamcoach.records.notes import decode_note

    if source == "-":
        return decode_note(sys.stdin.buffer.read(), "<stdin>")
    path = Path(source)
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected a text file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    return decode_note(raw, str(path))


def _from_editor(deal_label: str) -> str:
    """The text typed in $VISUAL / $EDITOR; InputError when the buffer is left empty."""
    try:
        text = click.edit("", extension=".md", require_save=True)
    except click.ClickException as exc:  # editor not found or exited with an error
        raise InputError(f"editor: {exc.format_message()}; nothing saved") from None
    if text is None or not text.strip():
        raise InputError(f"editor: the note on {deal_label} was left empty; nothing saved")
    return text


@click.group()
def notes() -> None:
    """Call notes: add one to a deal, list a deal's notes.

    \b
    Example:
      kamcoach notes add 7 "Met the CFO, budget 200k approved for Q2."
      kamcoach notes list 7 --full
    """


@notes.command("add")
@click.argument("deal")
@click.argument("text", required=False)
@click.option(
    "--file",
    "-f",
    "file_",
    metavar="PATH",
    help="Read the note from this UTF-8 text file ('-' = standard input).",
)
@click.option(
    "--edit",
    is_flag=True,
    help="Write the note in $VISUAL / $EDITOR (the default when nothing else is given "
    "at a terminal).",
)
@click.option("--author", help="Who wrote it (default: [user] name in config.toml).")
@click.option(
    "--date",
    "when",
    metavar="DATE",
    help="When the call took place: YYYY-MM-DD or YYYY-MM-DDTHH:MM (default: now).",
)
@click.option("--title", help="A subject line, shown with the note but never analysed.")
@click.option(
    "--lang",
    type=click.Choice(["auto", "en", "fr"]),
    default="auto",
    show_default=True,
    help="The note's language (auto: detected when analysed).",
)
@click.option("--analyse", "--analyze", "analyse", is_flag=True, help="Analyse the deal now.")
@click.pass_context
def add(
    ctx: click.Context,
    deal: str,
    text: str | None,
    file_: str | None,
    edit: bool,
    author: str | None,
    when: str | None,
    title: str | None,
    lang: str,
    analyse: bool,
) -> None:
    """Add a call note to DEAL (id or exact name).

    The text comes from TEXT, else --file (a file, or '-' for standard input),
    else a pipe, else your editor ($VISUAL or $EDITOR; leave it empty to
    cancel). The note is signed with your name from config.toml ([user] name)
    unless --author says otherwise. A title is kept as the note's heading and
    is never read as evidence. --analyse re-scores the deal at once (as
    `kamcoach deals analyze DEAL`).

    \b
    Example:
      kamcoach notes add 7 "Met the CFO: budget approved, decision by June."
      kamcoach notes add "Acme renewal" --file call.txt --date 2026-11-18 --title "QBR"
      pbpaste | kamcoach notes add 7 --author "Camille Martin"
    """
    from kamcoach.records.notes import add_note, check_text, parse_when
    from kamcoach.storage import repo

    obj = ctx.ensure_object(Ctx)
    given = [name for name, value in (("TEXT", text), ("--file", file_)) if value is not None]
    if edit:
        given.append("--edit")
    if len(given) > 1:
        raise InputError(f"give the note once: {' and '.join(given)} both given")
    # Everything the user typed is checked before the text is asked for: a
    # typo in --date must not cost a note written in the editor.
    parse_when(when)
    if author is None:
        from kamcoach.preferences import load_user

        author = load_user().name
    db = obj.db
    row = repo.get_deal(db, deal)
    label = f"deal #{row['id']} {row['name']}"
    if text is not None:
        body = check_text(text, "TEXT")
    elif file_ is not None:
        body = check_text(_read_file(file_), "<stdin>" if file_ == "-" else file_)
    elif not edit and not stdin_is_tty():
        body = check_text(_read_file("-"), "<stdin>")
    else:
        body = _from_editor(label)
    added = add_note(db, row["id"], body, author=author, when=when, title=title, lang=lang)
    if added.warning:
        click.secho(f"warning: {added.warning}", err=True, fg="yellow")
    signed = f"by {' '.join(author.split())}" if author.strip() else "with no author"
    click.echo(f"note {added.note_id} added to {label} {signed}")
    if analyse:
        from kamcoach.cli.analyze_cmd import deals_analyze

        ctx.invoke(deals_analyze, deal=str(row["id"]), all_=False, fmt="table")


@notes.command("list")
@click.argument("deal")
@format_option()
@click.option("--full", is_flag=True, help="Whole texts instead of their first line.")
@pass_ctx
def list_(obj: Ctx, deal: str, fmt: str, full: bool) -> None:
    """List DEAL's notes, newest first: date, author, title, language and first line.

    \b
    Example:
      kamcoach notes list 7
      kamcoach notes list "Acme renewal" --full --format json
    """
    from kamcoach.records.notes import list_notes

    items = list_notes(obj.db, deal)
    rows = []
    for n in items:
        data = n.to_dict()
        data["first_line"] = n.first_line
        if not full:
            del data["text"]
        rows.append(data)
    if fmt == "table":
        for row in rows:
            row["date"] = row["created_at"][:16].replace("T", " ")
        columns = ["id", "date", "author", "title", "lang", "text" if full else "first_line"]
    else:
        columns = list(rows[0]) if rows else ["id", "deal_id", "created_at", "author", "title"]
    render_rows(
        rows,
        fmt,
        columns=columns,
        title=f"Notes ({len(items)}, newest first)",
        keep=("id", "date"),
        drop=("lang", "author", "title"),
    )


def register(group: click.Group) -> None:
    group.add_command(notes)
