"""``kamcoach contacts``: the people at accounts, and who sits on which deal.

Thin over :mod:`kamcoach.records.contacts` (the TUI's contacts screen calls the
same functions): every mistake there is one ``error:`` line and nothing written.
"""

from __future__ import annotations

import json
from typing import Any

import click
from rich.text import Text

from kamcoach.cli.context import Ctx, pass_ctx
from kamcoach.cli.output import console, format_option, render_rows
from kamcoach.domain.models import Contact
from kamcoach.domain.stages import BUYING_ROLES, INFLUENCE, STANCES
from kamcoach.errors import NotFoundError
from kamcoach.records import contacts as records
from kamcoach.storage import repo
from kamcoach.textsafe import plain

LIST_COLUMNS = [
    "id",
    "name",
    "title",
    "account",
    "role",
    "stance",
    "influence",
    "reports_to",
    "last_contact_at",
    "email",
    "left_company",
]
DEAL_COLUMNS = ["linked", "deal_role", "engaged"]
TABLE_COLUMNS = {"id", "name", "title", "role", "stance", "influence", "reports_to", "linked"}


def _values_help(what: str, values: tuple[str, ...]) -> str:
    return f"{what}: {', '.join(values)}."


def _fields(func: Any) -> Any:
    """The options add and edit share (edit: an empty value clears the field)."""
    options = [
        click.option("--title", help="Job title, as the person gives it."),
        click.option("--email", help="E-mail address (checked for plausibility)."),
        click.option(
            "--role",
            "buying_role",
            metavar="ROLE",
            help=_values_help("Role in the account's buying group", BUYING_ROLES),
        ),
        click.option("--stance", metavar="STANCE", help=_values_help("Stance towards us", STANCES)),
        click.option(
            "--influence", metavar="LEVEL", help=_values_help("Weight in the decision", INFLUENCE)
        ),
        click.option(
            "--reports-to", metavar="CONTACT", help="Their manager: a contact (id or name)."
        ),
        click.option(
            "--last-contact", "last_contact_at", metavar="YYYY-MM-DD", help="Last time we spoke."
        ),
        click.option(
            "--force", is_flag=True, help="Save even when the account already has this person."
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _duplicate_hint(exc: records.DuplicateContactError) -> records.DuplicateContactError:
    return records.DuplicateContactError(
        f"{exc}; use --force to save it anyway, or edit contact {exc.existing_id}",
        exc.existing_id,
    )


def _label(contact: Contact, account: str | None = None) -> Text:
    out = Text.assemble(f"contact {contact.id}: ", plain(contact.name))
    if account:
        out.append_text(Text.assemble(" (", plain(account), ")"))
    return out


@click.group()
def contacts() -> None:
    """The people at your accounts: roles, stance, influence, who reports to whom.

    A contact's buying role is their role in the account's buying group; a
    deal can override it for that deal only (`contacts link --role`). Contacts
    are named by id or exact name (two of the same name: use the id).

    \b
    Example:
      kamcoach contacts add "Valmont Logistique" "Hélène Dubois" --role economic_buyer
      kamcoach contacts list --deal 3
    """


@contacts.command("add")
@click.argument("account")
@click.argument("name")
@_fields
@click.option("--deal", metavar="DEAL", help="Also put the contact on this deal (id or name).")
@click.option(
    "--deal-role",
    metavar="ROLE",
    help="Their role on that deal when it differs from --role (default: as --role).",
)
@pass_ctx
def add(obj: Ctx, account: str, name: str, force: bool, **fields: Any) -> None:
    """Add a contact to an account (by id or exact name), optionally on a deal.

    Refused when the account already has someone of that name (accents and
    case aside) or that e-mail, unless --force.

    \b
    Example:
      kamcoach contacts add "Valmont Logistique" "Marc Lemaire" \\
          --title "Responsable supply chain" --role champion --stance advocate \\
          --influence medium --reports-to "Hélène Dubois" --deal 3
    """
    try:
        contact = records.add_contact(obj.db, account, name, force=force, **fields)
    except records.DuplicateContactError as exc:
        raise _duplicate_hint(exc) from None
    out = Text("Added ").append_text(_label(contact, repo.get_account(obj.db, account)["name"]))
    if fields.get("deal") is not None:
        deal = repo.get_deal(obj.db, fields["deal"])
        out.append_text(Text.assemble(" on deal ", str(deal["id"]), " ", plain(deal["name"])))
    console().print(out)


@contacts.command("edit")
@click.argument("contact")
@click.option("--name", help="New name.")
@_fields
@click.option(
    "--left/--not-left",
    "left_company",
    default=None,
    help="They left the company (or are back). Their deal links stay as history.",
)
@pass_ctx
def edit(obj: Ctx, contact: str, force: bool, **fields: Any) -> None:
    """Change a contact's values; an empty value clears one (`--stance ""`).

    \b
    Example:
      kamcoach contacts edit "Marc Lemaire" --stance sceptic --last-contact 2026-11-18
      kamcoach contacts edit 7 --left
    """
    changes = {k: v for k, v in fields.items() if v is not None}
    if not changes:
        raise click.UsageError("nothing to change: give at least one option (see --help)")
    try:
        person = records.edit_contact(obj.db, contact, changes, force=force)
    except records.DuplicateContactError as exc:
        raise _duplicate_hint(exc) from None
    console().print(Text("Saved ").append_text(_label(person)))


@contacts.command("list")
@click.option("--account", help="Only this account's contacts (id or name).")
@click.option("--deal", help="Only the contacts on this deal, with their role there.")
@format_option()
@pass_ctx
def list_(obj: Ctx, account: str | None, deal: str | None, fmt: str) -> None:
    """List contacts with their role (on the deal, with --deal), stance and influence.

    With --account and --deal together: the account's people, on the deal or not.

    \b
    Example:
      kamcoach contacts list --account "Valmont Logistique"
      kamcoach contacts list --deal 3 --format csv
    """
    rows = records.list_contacts(obj.db, account=account, deal=deal)
    columns = LIST_COLUMNS + (DEAL_COLUMNS if deal is not None else [])
    if fmt in ("table", "md"):  # for reading: what fits a terminal (scripts get every column)
        columns = [c for c in columns if c in TABLE_COLUMNS]
        if account is None and deal is None:
            columns.insert(3, "account")
        if account is None or deal is None:
            columns = [c for c in columns if c != "linked"]
    title = "Contacts"
    if deal is not None:
        title += f" on deal {repo.get_deal(obj.db, deal)['name']}"
    render_rows(rows, fmt, columns=columns, title=title)


def _on_deal(obj: Ctx, contact: str, deal: str) -> tuple[dict[str, Any], Contact]:
    """The deal, and the contact looked up first among that deal's account's people."""
    row = repo.get_deal(obj.db, deal)
    try:
        person = records.find_contact(obj.db, contact, account_id=row["account_id"])
    except NotFoundError:
        person = records.find_contact(obj.db, contact)  # says where they work, or not found
    return row, person


@contacts.command("link")
@click.argument("contact")
@click.argument("deal")
@click.option(
    "--role",
    metavar="ROLE",
    help="Their role on this deal when it differs from their buying role (default: theirs).",
)
@click.option("--engaged/--not-engaged", default=None, help="Engaged in the deal (default: yes).")
@pass_ctx
def link(obj: Ctx, contact: str, deal: str, role: str | None, engaged: bool | None) -> None:
    """Put a contact on a deal (or change their role on it).

    \b
    Example:
      kamcoach contacts link "Olivier Fabre" 4 --role champion
    """
    row, person = _on_deal(obj, contact, deal)
    done = records.link_contact(obj.db, row["id"], person, role=role, engaged=engaged)
    how = "as " + done["role"].replace("_", " ")
    if done["deal_role"] is None:
        how += " (their buying role)"
    console().print(
        Text("Linked ")
        .append_text(_label(person))
        .append_text(Text.assemble(" to deal ", str(row["id"]), " ", plain(row["name"]), f" {how}"))
    )


@contacts.command("unlink")
@click.argument("contact")
@click.argument("deal")
@pass_ctx
def unlink(obj: Ctx, contact: str, deal: str) -> None:
    """Take a contact off a deal (they stay at the account).

    \b
    Example:
      kamcoach contacts unlink "Nadia Benali" 2
    """
    row, person = _on_deal(obj, contact, deal)
    records.unlink_contact(obj.db, row["id"], person)
    console().print(
        Text("Unlinked ")
        .append_text(_label(person))
        .append_text(Text.assemble(" from deal ", str(row["id"]), " ", plain(row["name"])))
    )


@contacts.command("show")
@click.argument("contact")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@pass_ctx
def show(obj: Ctx, contact: str, fmt: str) -> None:
    """Show one contact: values, deals (with their role on each), managers and reports.

    \b
    Example:
      kamcoach contacts show "Marc Lemaire"
    """
    details = records.contact_details(obj.db, contact)
    if fmt == "json":
        click.echo(json.dumps(details, ensure_ascii=False, indent=2, default=str))
        return
    c = details["contact"]
    out = Text()
    out.append_text(Text.assemble((f"#{c['id']} ", "bold"), plain(c["name"], "bold")))
    if c["left_company"]:
        out.append(" (left the company)", style="red")
    out.append("\n")
    for label, key in (
        ("title", "title"),
        ("account", "account"),
        ("e-mail", "email"),
        ("buying role", "buying_role"),
        ("stance", "stance"),
        ("influence", "influence"),
        ("last contact", "last_contact_at"),
    ):
        out.append_text(Text.assemble(f"  {label:<13}", plain(c[key] or "?"), "\n"))
    chain = details["reports_to_chain"]
    out.append("  reports to   ")
    if not chain:
        out.append("?")
    for i, up in enumerate(chain):
        out.append(" -> " if i else "")
        out.append_text(Text.assemble(plain(up["name"]), f" (#{up['id']})"))
    out.append("\n")
    if details["reports"]:
        out.append("  their reports ")
        out.append_text(
            Text(", ").join(
                Text.assemble(plain(r["name"]), f" (#{r['id']})") for r in details["reports"]
            )
        )
        out.append("\n")
    out.append("Deals\n", style="bold")
    if not details["deals"]:
        out.append("  none\n", style="dim")
    for d in details["deals"]:
        role = str(d["role"]).replace("_", " ")
        extra = "" if d["deal_role"] is None else " (on this deal)"
        engaged = "" if d["engaged"] else ", not engaged"
        out.append_text(
            Text.assemble(
                f"  #{d['id']} ", plain(d["name"]), f" · {d['stage']} · {role}{extra}{engaged}\n"
            )
        )
    console().print(out, end="")
