"""``kamcoach import`` and ``kamcoach export``: deals in from a CRM, results back out."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from kamcoach.cli.context import Ctx, pass_ctx
from kamcoach.cli.outfile import force_option
from kamcoach.cli.output import console
from kamcoach.cli.progress import Activity
from kamcoach.io.safe_write import (
    Guarded,
    atomic_output,
    check_output,
    database_files,
    input_files,
    write_atomic,
)
from kamcoach.io.values import DATE_ORDERS
from kamcoach.textsafe import plain

if TYPE_CHECKING:
    from kamcoach.io.importer import ImportPlan

BAD_ROWS_SHOWN = 50


@click.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--mapping",
    default="auto",
    show_default=True,
    metavar="auto|salesforce|hubspot|pipedrive|kamcoach|FILE.toml",
    help="Which CRM export format: detected from the headers by default, or a mapping file.",
)
@click.option(
    "--kind",
    type=click.Choice(["auto", "opportunities", "notes", "contacts"]),
    default="auto",
    show_default=True,
    help="Deals (opportunities), notes/activities or contacts (people); detected from the "
    "headers by default.",
)
@click.option(
    "--date-format",
    type=click.Choice(DATE_ORDERS),
    help="Day-first (dmy) or month-first (mdy) numeric dates, when the file cannot tell.",
)
@click.option(
    "--playbook",
    metavar="ID",
    help="Playbook of new deals whose row names none (default: [defaults] playbook in team.toml).",
)
@click.option("--dry-run", is_flag=True, help="Show what would change and write nothing.")
@click.option(
    "--skip-bad-rows",
    is_flag=True,
    help="Import the good rows even when some are bad (the bad ones are listed and skipped).",
)
@click.option(
    "--bad-rows",
    "bad_rows_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the bad rows (row number and reason) to this CSV file.",
)
@force_option()
@pass_ctx
def import_(
    obj: Ctx,
    file: Path,
    mapping: str,
    kind: str,
    date_format: str | None,
    playbook: str | None,
    dry_run: bool,
    skip_bad_rows: bool,
    bad_rows_path: Path | None,
    force: bool,
) -> None:
    """Import a Salesforce, HubSpot or Pipedrive CSV export (deals, notes or contacts).

    A file from `kamcoach export deals`, edited in a spreadsheet, comes back
    the same way (deals matched by account and name; score columns ignored).

    Headers are mapped to kamcoach fields automatically (English or French
    exports; UTF-8, UTF-8 with BOM or cp1252; , ; tab or | separators) and
    the mapping is printed (--dry-run shows it and writes nothing). CRM
    stages map to kamcoach stages; accounts are deduplicated by fuzzy name
    ("Carrefour SA" is "CARREFOUR"). Re-importing the same file changes nothing; an updated
    export records each change (stage, amount, close date, owner...) in the
    deal history. Bad rows are listed with their row number (the header is row
    1) and then nothing is written (exit code 1) unless --skip-bad-rows
    says to import the good ones; everything is written in one transaction.
    Deal owners become reps (created once per new name, counted by --dry-run).

    Contacts are matched by CRM id, else by e-mail or name within their
    account (an export enriches the contacts a deals import created); buying
    role, stance and influence columns take English or French values
    ("Decision Maker", "décideur", "prescripteur"); "Reports To" is resolved
    within the file.

    Each deal is scored against the playbook its row names (a Playbook or
    Méthode column: an id or a name, e.g. MEDDPICC; an unknown one is a bad
    row), else --playbook, else the team default (team.toml in your config
    folder, else MEDDIC). --playbook never changes the playbook of a deal
    already stored.

    \b
    Example:
      kamcoach import opportunities.csv --dry-run
      kamcoach import opportunities.csv --skip-bad-rows --bad-rows rejected.csv --force
      kamcoach import export_hubspot.csv --mapping hubspot --date-format dmy
      kamcoach import renewals.csv --playbook bant
      kamcoach import notes.csv --mapping team_crm.toml
      kamcoach import contacts_salesforce.csv --kind contacts --dry-run
    """
    from kamcoach.errors import InputError
    from kamcoach.io.importer import import_file

    out = console()
    chosen: str | Path = mapping
    if mapping.endswith(".toml") or Path(mapping).is_file():
        chosen = Path(mapping)  # a file given with another suffix is still read (and checked)
    guarded = database_files(obj.path) + input_files(file)
    if isinstance(chosen, Path):
        guarded += input_files(chosen, what="the mapping file")
    if bad_rows_path is not None:  # before reading anything, so a refusal changes nothing
        check_output(bad_rows_path, guarded, force=force)
    said = None
    if dry_run:  # never a write, not even creating the file or upgrading its schema
        from kamcoach.storage.db import open_for_dry_run

        db, said = open_for_dry_run(obj.path)
    else:
        db = obj.db
    with Activity("Reading " + file.name) as progress:
        # One streaming pass: a dry run counts, a real import writes in one
        # transaction that bad rows (without --skip-bad-rows) roll back.
        plan = import_file(
            db,
            file,
            mapping=chosen,
            kind=None if kind == "auto" else kind,
            date_format=date_format,
            dry_run=dry_run,
            skip_bad_rows=skip_bad_rows,
            progress=progress,
            playbook=playbook,  # playbooks are loaded for a deals file only
        )
    _print_mapping(out, plan)
    _print_bad_rows(out, plan)
    if bad_rows_path is not None:
        _write_bad_rows(bad_rows_path, plan, guarded, force=force)
    summary = plan.summary()
    line = (
        f"{summary['new']} new, {summary['updated']} updated, {summary['unchanged']} unchanged, "
        f"{_count(summary['bad'], 'bad row')}"
    )
    extra = []
    if summary["new_accounts"]:
        extra.append(f"{summary['new_accounts']} new accounts")
    if summary["new_contacts"] and plan.kind != "contacts":
        extra.append(f"{summary['new_contacts']} new contacts")
    if summary["history"]:
        extra.append(f"{summary['history']} history changes")
    if summary["next_steps"]:
        extra.append(f"{summary['next_steps']} new next steps")
    if summary["new_reps"]:
        extra.append(f"{summary['new_reps']} new reps")
    if plan.merged_accounts:
        extra.append(f"{len(plan.merged_accounts)} account name(s) merged by fuzzy match")
    if plan.stage_age_from_import:
        extra.append(
            f"{plan.stage_age_from_import} deal(s) without a stage-change date in the export: "
            "their time in stage counts from this import"
        )
    if plan.placed_stages:
        extra.append(f"{len(plan.placed_stages)} unknown stage label(s) placed by probability")
    detail = f" ({', '.join(extra)})" if extra else ""
    what = {"opportunities": "deals"}.get(plan.kind, plan.kind)
    bad = len(plan.bad_rows)
    if dry_run:
        needs = " (a real import needs --skip-bad-rows)" if bad and not skip_bad_rows else ""
        click.echo(
            f"{click.style('Dry run', fg='yellow')} ({what}): would write {line}{detail}. "
            f"Nothing written{needs}."
        )
        if said:
            click.echo(f"({said}; nothing was created.)")
        click.echo(f"next: {_kamcoach(obj)} import {shlex.quote(str(file))}  (without --dry-run)")
        return
    if bad and not skip_bad_rows:
        first = plan.bad_rows[0]
        raise InputError(
            f"{file}: {bad} bad row{'s' if bad != 1 else ''} (first: row {first.row}: "
            f"{first.reason}); nothing written. Fix the file, or re-run with --skip-bad-rows "
            f"to import the other rows"
        )
    click.echo(
        f"{click.style('Imported', fg='green')} {what} from {file.name} into {obj.path}: "
        f"{line}{detail}."
    )
    click.echo(next_commands(obj, plan.kind))


def _kamcoach(obj: Ctx) -> str:
    """``kamcoach``, with the --db the user gave (so the suggested command works as typed)."""
    return "kamcoach" + ("" if obj.db_path is None else f" --db {shlex.quote(str(obj.db_path))}")


def next_commands(obj: Ctx, kind: str) -> str:
    """What to run after an import: score the imported notes, then review the pipeline."""
    me = _kamcoach(obj)
    if kind == "contacts":
        return f"next: {me} contacts list, then {me} pipeline"
    return f"next: {me} deals analyze --all, then {me} pipeline"


def _print_mapping(out: Console, plan: ImportPlan) -> None:
    table = Table(
        title=Text(f"{plan.crm.label} {plan.kind} export: {plan.path.name}"),
        header_style="bold",
    )
    table.add_column("column in file")
    table.add_column("kamcoach field")
    table.add_column("match", justify="right")
    for m in plan.mapping.matches:
        table.add_row(plain(m.header), m.field, "exact" if m.score >= 100 else f"{m.score:.0f}%")
    for header in plan.mapping.ignored:
        table.add_row(plain(header), Text("(ignored)", style="dim"), "")
    out.print(table)
    # One line under the table (a caption would wrap to the table's width).
    out.print(
        f"{plan.rows} rows · {plan.encoding} · {_delimiter_name(plan.delimiter)}-separated"
        f" · dates: {plan.date_style.reason}",
        markup=False,
        style="dim",
    )
    for given, existing in plan.merged_accounts[:10]:
        out.print(f"  account {given!r} is the same as {existing!r}", markup=False)
    for label, (stage, percent) in plan.placed_stages.items():
        out.print(
            f"  stage {label!r} is not in the {plan.crm.label} mapping: placed at {stage} by "
            f"its probability ({percent:g} %); add it under [stages] to decide yourself",
            markup=False,
        )


def _delimiter_name(delimiter: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}.get(delimiter, delimiter)


def _print_bad_rows(out: Console, plan: ImportPlan) -> None:
    if not plan.bad_rows:
        return
    table = Table(
        title=f"{_count(len(plan.bad_rows), 'bad row')} (row numbers count the header as row 1)",
        header_style="bold red",
    )
    table.add_column("row", justify="right")
    table.add_column("reason")
    for bad in plan.bad_rows[:BAD_ROWS_SHOWN]:
        table.add_row(str(bad.row), plain(bad.reason))
    out.print(table)
    if len(plan.bad_rows) > BAD_ROWS_SHOWN:
        out.print(f"... and {len(plan.bad_rows) - BAD_ROWS_SHOWN} more (use --bad-rows FILE.csv)")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _write_bad_rows(path: Path, plan: ImportPlan, guarded: list[Guarded], *, force: bool) -> None:
    import csv
    import io

    from kamcoach.io.csv_cells import neutralise

    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["row", "reason"])
    for bad in plan.bad_rows:
        writer.writerow([bad.row, neutralise(bad.reason)])
    write_atomic(path, text.getvalue(), guarded, force=force)


@click.command("export")
@click.argument("kind", type=click.Choice(["deals", "reviews", "notes"]))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl"]),
    default="csv",
    show_default=True,
    help="CSV for spreadsheets and CRM imports, JSON Lines for scripts.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.option(
    "--excel",
    is_flag=True,
    help="CSV for Excel: UTF-8 with BOM, ';' separators, decimal commas.",
)
@force_option()
@pass_ctx
def export(obj: Ctx, kind: str, fmt: str, output: Path | None, excel: bool, force: bool) -> None:
    """Export deals (with latest scores), reviews (per-criterion scores) or notes.

    Deals keep their CRM source and id so the file can go back to the CRM;
    each criterion of the latest review becomes a score_<criterion> column.

    \b
    Example:
      kamcoach export deals --format csv --excel -o pipeline.csv --force
      kamcoach export reviews --format jsonl > reviews.jsonl
    """
    from kamcoach.errors import InputError
    from kamcoach.io.exporter import export_rows, write_export

    if excel and fmt != "csv":
        raise InputError("--excel applies to --format csv only")
    guarded = database_files(obj.path)
    if output is not None:  # before opening the database, so a refusal changes nothing
        check_output(output, guarded, force=force)
    columns, rows = export_rows(obj.db, kind)
    if output is None:
        stream = sys.stdout.buffer
        write_export(columns, rows, fmt, stream, excel=excel)
        stream.flush()
        return
    with atomic_output(output, guarded, force=force) as fh:
        count = write_export(columns, rows, fmt, fh, excel=excel)
    click.echo(f"wrote {count} {kind} to {output}", err=True)


def register(group: click.Group) -> None:
    group.add_command(import_)
    group.add_command(export)
