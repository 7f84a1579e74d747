"""``kamcoach review DEAL``: a manager's deal review from the command line.

Same core as the terminal app's review screen (:mod:`kamcoach.records.manager_review`);
the scorecard shown says which score is in force and why (:mod:`kamcoach.review.in_force`).
"""

from __future__ import annotations

import json
from typing import Any

import click
from rich.table import Table
from rich.text import Text
from sqlite_utils import Database

from kamcoach.cli.context import Ctx, pass_ctx
from kamcoach.cli.output import console
from kamcoach.domain.models import Review
from kamcoach.domain.stages import FORECAST_CATEGORIES
from kamcoach.errors import InputError
from kamcoach.playbooks.model import PlaybookSet
from kamcoach.textsafe import plain

AUTHOR_MARK = {"analyser": "A", "rep": "R", "manager": "M"}


def _parse_correction(raw: str) -> tuple[str, int, str]:
    """``CRIT=SCORE:REASON`` -> (criterion, score, reason); one-line error otherwise."""
    crit, sep, rest = raw.partition("=")
    score_text, colon, reason = rest.partition(":")
    if not sep or not colon or not crit.strip():
        raise InputError(
            f"--correct {raw!r}: expected CRIT=SCORE:REASON, e.g. champion=1:no access"
        )
    if score_text.strip() not in ("0", "1", "2", "3"):
        raise InputError(f"--correct {raw!r}: score {score_text.strip()!r} is not 0, 1, 2 or 3")
    if not reason.strip():
        raise InputError(f"--correct {raw!r}: a correction needs a reason after the colon")
    return crit.strip(), int(score_text), reason.strip()


def _criteria_list(raw: tuple[str, ...]) -> list[str]:
    return [c.strip() for item in raw for c in item.split(",") if c.strip()]


def scorecard_payload(db: Database, playbooks: PlaybookSet, deal: dict[str, Any]) -> dict[str, Any]:
    """The deal's criteria with the score in force, its author and why (json output)."""
    from kamcoach.review.in_force import deal_in_force

    found = deal_in_force(db, deal["id"])
    out: dict[str, Any] = {}
    for cid in playbooks.playbook(deal["playbook"]).criteria_ids:
        f = found.get(cid)
        out[cid] = (
            {"score": 0, "status": "missing", "by": None, "why": "never scored"}
            if f is None
            else {
                "score": f.score.score,
                "status": f.score.status,
                "by": f.author_kind,
                "author": f.review.author,
                "review_id": f.review.id,
                "at": f.review.created_at.isoformat(),
                "verdict": f.score.verdict,
                "why": f.why(),
            }
        )
    return out


def print_scorecard(db: Database, playbooks: PlaybookSet, deal: dict[str, Any]) -> None:
    """Criterion, score in force, who gave it (M/R/A) and why, in the playbook's order."""
    from kamcoach.review.in_force import deal_in_force
    from kamcoach.review.prep import detect_deal_lang, status_label
    from kamcoach.storage import repo

    lang = detect_deal_lang(repo.deal_notes(db, deal["id"]))
    found = deal_in_force(db, deal["id"])
    table = Table(title=Text(f"#{deal['id']} {deal['name']}: scores in force"), header_style="bold")
    for col in ("criterion", "id", "score", "status", "by"):
        table.add_column(col, max_width=24 if col == "criterion" else None)
    table.add_column("why", min_width=40)
    for cid in playbooks.playbook(deal["playbook"]).criteria_ids:
        criterion = playbooks.criteria.get(cid)
        f = found.get(cid)
        name = criterion.name.get(lang) if criterion else cid
        if f is None:
            table.add_row(plain(name), cid, "0", status_label("missing", lang), "", "never scored")
            continue
        table.add_row(
            plain(name),
            cid,
            str(f.score.score),
            status_label(f.score.status, lang),
            AUTHOR_MARK.get(f.author_kind, "?"),
            plain(f.why(), style="yellow" if f.waiting else ""),
        )
    console().print(table)


def _history_payload(db: Database, deal_id: int) -> list[dict[str, Any]]:
    from kamcoach.records.manager_review import manager_reviews, review_next_steps

    steps = review_next_steps(db, deal_id)
    return [
        {
            "review_id": r.id,
            "at": r.created_at.isoformat(),
            "author": r.author,
            "forecast": r.forecast,
            "comment": r.comment,
            "overall": r.overall,
            "scores": {
                cid: {"verdict": s.verdict, "score": s.score, "reason": s.reason}
                for cid, s in r.scores.items()
            },
            "next_step": steps.get(r.id or 0),
        }
        for r in manager_reviews(db, deal_id)
    ]


def print_history(db: Database, deal_id: int, *, limit: int | None = None) -> None:
    """The deal's manager reviews, newest first: forecast, comment, verdicts, next step."""
    items = _history_payload(db, deal_id)
    out = console()
    if not items:
        out.print(Text("no manager review yet", style="dim"))
        return
    shown = list(reversed(items))[:limit] if limit else list(reversed(items))
    more = len(shown) < len(items)
    title = "Manager reviews" + (
        f" (latest {len(shown)} of {len(items)}: --history)" if more else ""
    )
    out.print(Text(title, style="bold"))
    for item in shown:
        line = Text(f"{item['at'][:10]} #{item['review_id']} ")
        line.append_text(plain(item["author"] or "?", style="bold"))
        line.append(f" · forecast {item['forecast'] or '-'}")
        out.print(line)
        if item["comment"]:
            out.print(plain(f"  {item['comment']}"))
        for cid, s in item["scores"].items():
            if s["verdict"] == "corrected":
                out.print(plain(f"  {cid}: corrected to {s['score']} ({s['reason']})"))
            else:
                out.print(plain(f"  {cid}: agreed at {s['score']}", style="dim"))
        step = item["next_step"]
        if step:
            who = f", {step['who']}" if step["who"] else ""
            due = f", by {step['due']}" if step["due"] else ""
            out.print(plain(f"  next step: {step['what']}{who}{due}"))


def _summary(review: Review) -> str:
    agreed = sum(1 for s in review.scores.values() if s.verdict == "agreed")
    corrected = [f"{c} {s.score}" for c, s in review.scores.items() if s.verdict == "corrected"]
    parts = [f"forecast {review.forecast}" if review.forecast else "no forecast"]
    if agreed:
        parts.append(f"{agreed} agreed")
    if corrected:
        parts.append("corrected " + ", ".join(corrected))
    return "; ".join(parts)


@click.command("review")
@click.argument("deal")
@click.option(
    "--forecast",
    type=click.Choice(FORECAST_CATEGORIES),
    help="Forecast category of the deal.",
)
@click.option("--comment", help="The manager's comment on the deal.")
@click.option(
    "--agree",
    "agree",
    multiple=True,
    metavar="CRIT,…",
    help="Confirm the score in force on these criteria (ids, comma-separated).",
)
@click.option("--agree-all", is_flag=True, help="Confirm every criterion not corrected.")
@click.option(
    "--correct",
    "corrections",
    multiple=True,
    metavar="CRIT=SCORE:REASON",
    help="Set a criterion to SCORE (0-3) because REASON (required); repeat per criterion.",
)
@click.option("--next-step", "next_step", metavar="TEXT", help="What happens next on the deal.")
@click.option("--who", metavar="NAME", help="Who does the next step.")
@click.option("--due", metavar="YYYY-MM-DD", help="When the next step is due.")
@click.option("--author", metavar="NAME", help="Reviewer (default: [user] name in config.toml).")
@click.option("--show", is_flag=True, help="Print the scorecard after saving.")
@click.option("--history", is_flag=True, help="List the deal's manager reviews and stop.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
@pass_ctx
def review(
    obj: Ctx,
    deal: str,
    forecast: str | None,
    comment: str | None,
    agree: tuple[str, ...],
    agree_all: bool,
    corrections: tuple[str, ...],
    next_step: str | None,
    who: str | None,
    due: str | None,
    author: str | None,
    show: bool,
    history: bool,
    fmt: str,
) -> None:
    """A manager's review of DEAL (id or exact name): forecast, comment, next step,
    and per criterion agreement or correction of the score in force.

    With no option, print the scorecard (which score is in force, who gave it
    and why) and the previous manager reviews, to decide. A correction stays
    in force until a manager reviews the criterion again: a later rep score
    waits behind it. Agreeing confirms the score in force; it pins nothing.

    \b
    Examples:
      kamcoach review 12
      kamcoach review 12 --forecast commit --agree metrics,economic_buyer \\
          --correct "champion=1:no access to the CFO" \\
          --next-step "Meet the CFO" --who Alice --due 2026-12-04
      kamcoach review 12 --history
    """
    from kamcoach.storage import repo

    writing = bool(
        forecast or comment or agree or agree_all or corrections or next_step or who or due
    )
    if history and (writing or show):
        raise InputError("--history only lists the reviews; give it alone")
    if (who or due) and not next_step:
        raise InputError("--who and --due describe a next step: give --next-step TEXT too")
    if agree and agree_all:
        raise InputError("give --agree CRIT,… or --agree-all, not both")
    parsed = [_parse_correction(c) for c in corrections]
    db, playbooks = obj.db, obj.playbooks
    row = repo.get_deal(db, deal)
    if history:
        if fmt == "json":
            click.echo(json.dumps(_history_payload(db, row["id"]), ensure_ascii=False, indent=2))
        else:
            print_history(db, row["id"])
        return
    if not writing:
        if fmt == "json":
            payload = {
                "deal": {"id": row["id"], "name": row["name"], "playbook": row["playbook"]},
                "scorecard": scorecard_payload(db, playbooks, row),
                "manager_reviews": _history_payload(db, row["id"]),
            }
            click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        else:
            print_scorecard(db, playbooks, row)
            print_history(db, row["id"], limit=3)
        return

    from kamcoach.preferences import load_user
    from kamcoach.records.manager_review import (
        Correction,
        ManagerReviewInput,
        NextStep,
        save_manager_review,
    )

    criteria = playbooks.playbook(row["playbook"]).criteria_ids
    corrected = {c[0] for c in parsed}
    agreed = [c for c in criteria if c not in corrected] if agree_all else _criteria_list(agree)
    entry = ManagerReviewInput(
        forecast=forecast,
        comment=comment,
        agree=agreed,
        corrections=[Correction(c, s, r) for c, s, r in parsed],
        next_step=NextStep(next_step, who, due) if next_step is not None else None,
        author=author if author is not None else load_user().name,
    )
    warnings: list[str] = []
    review_id = save_manager_review(db, row["id"], playbooks, entry, warnings=warnings)
    for message in warnings:
        click.secho(f"warning: {message}", err=True, fg="yellow")
    saved = next(r for r in repo.deal_reviews(db, row["id"]) if r.id == review_id)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "review_id": review_id,
                    "deal": row["id"],
                    "forecast": saved.forecast,
                    "scorecard": scorecard_payload(db, playbooks, row),
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    click.echo(f"saved manager review #{review_id} of deal #{row['id']}: {_summary(saved)}")
    if show:
        print_scorecard(db, playbooks, row)


def register(group: click.Group) -> None:
    group.add_command(review)
