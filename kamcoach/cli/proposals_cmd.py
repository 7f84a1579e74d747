"""``kamcoach proposals``: what the notes say about people, accepted or dismissed by the rep."""

from __future__ import annotations

from typing import Any

import click

from kamcoach.cli.context import Ctx, pass_ctx
from kamcoach.cli.output import format_option, render_rows
from kamcoach.records import proposals as core
from kamcoach.storage import repo

COLUMNS = [
    "id",
    "status",
    "deal",
    "note_date",
    "kind",
    "who",
    "proposes",
    "quote",
    "lang",
    "decided_by",
]
#: Every field, for json/jsonl/csv/md (scripts want the ids).
FIELDS = [
    "id",
    "status",
    "deal_id",
    "deal",
    "note_id",
    "note_date",
    "kind",
    "contact_id",
    "name",
    "title",
    "value",
    "who",
    "proposes",
    "quote",
    "lang",
    "decided_by",
    "decided_at",
    "result_contact_id",
]


@click.group()
def proposals() -> None:
    """People read from the notes: new contacts, roles, stances, departures, arrivals.

    Analysing a deal reads its notes ("Sarah Chen, our CFO, signs", "Paul a
    quitté la société") and proposes what they say about people, with the
    quoted sentence. Nothing changes until you accept a proposal; a dismissed
    one never comes back.

    \b
    Examples:
      kamcoach deals analyze 12 && kamcoach proposals list 12
      kamcoach proposals accept 7 --role economic_buyer
      kamcoach proposals dismiss 8
    """


def _row(p: core.Proposal) -> dict[str, Any]:
    return {
        "id": p.id,
        "status": p.status,
        "deal": p.deal_name,
        "deal_id": p.opportunity_id,
        "note_id": p.note_id,
        "note_date": (p.note_date or "")[:10],
        "kind": p.kind,
        "who": p.who(),
        "contact_id": p.contact_id,
        "name": p.name,
        "title": p.title,
        "value": p.value,
        "proposes": p.says(),
        "quote": p.quote,
        "lang": p.lang,
        "decided_by": p.decided_by,
        "decided_at": p.decided_at,
        "result_contact_id": p.result_contact_id,
    }


@proposals.command("list")
@click.argument("deal", required=False)
@click.option("--account", help="Only this account's proposals (id or name).")
@click.option(
    "--status",
    type=click.Choice(["open", "accepted", "dismissed", "all"]),
    default="open",
    show_default=True,
    help="Which proposals to list.",
)
@format_option()
@pass_ctx
def list_(obj: Ctx, deal: str | None, account: str | None, status: str, fmt: str) -> None:
    """List the proposals of a deal, an account, or every deal, with their quote.

    \b
    Examples:
      kamcoach proposals list 12
      kamcoach proposals list --account "Maison Cordier Vins" --status all
      kamcoach proposals list --format json
    """
    deal_id = repo.get_deal(obj.db, deal)["id"] if deal else None
    account_id = repo.get_account(obj.db, account)["id"] if account else None
    rows = [
        _row(p)
        for p in core.list_proposals(obj.db, deal_id=deal_id, account_id=account_id, status=status)
    ]
    render_rows(
        rows, fmt, columns=COLUMNS if fmt == "table" else FIELDS, title=f"Proposals ({status})"
    )


def _say(decision: core.Decision, verb: str) -> None:
    p = decision.proposal
    click.echo(f"proposal {p.id} {verb}: {p.who()}, {p.says()}")
    for change in decision.changes:
        click.echo(f"  {change}")


@proposals.command("accept")
@click.argument("proposal_id", metavar="ID")
@click.option("--name", help="The person's name as it should be recorded (fixes the note's).")
@click.option(
    "--role",
    type=click.Choice(list(core.ROLES)),
    help="Buying role to give instead of the proposed one.",
)
@click.option(
    "--deal-role",
    type=click.Choice(list(core.ROLES)),
    help="Role on this deal only (the contact's own role stays).",
)
@click.option("--author", help="Who decides (default: [user] name in config.toml).")
@pass_ctx
def accept(
    obj: Ctx,
    proposal_id: str,
    name: str | None,
    role: str | None,
    deal_role: str | None,
    author: str | None,
) -> None:
    """Accept a proposal: create the contact, set the role or stance, record the departure.

    \b
    Examples:
      kamcoach proposals accept 7
      kamcoach proposals accept 7 --name "Sarah Chen" --role economic_buyer
      kamcoach proposals accept 9 --deal-role champion
    """
    decision = core.accept(
        obj.db,
        proposal_id,
        name=name,
        role=role,
        deal_role=deal_role,
        author=author,
        playbooks=obj.playbooks,
    )
    _say(decision, "accepted")


@proposals.command("dismiss")
@click.argument("proposal_id", metavar="ID")
@click.option("--author", help="Who decides (default: [user] name in config.toml).")
@pass_ctx
def dismiss(obj: Ctx, proposal_id: str, author: str | None) -> None:
    """Dismiss a proposal: the note does not mean that. It never comes back.

    \b
    Example:
      kamcoach proposals dismiss 8
    """
    _say(core.dismiss(obj.db, proposal_id, author=author), "dismissed")
