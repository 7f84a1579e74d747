"""The help screen: what each screen is for and its keys."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# kamcoach — keys

**Everywhere**: `ctrl+p` jump to a deal or account (fuzzy) · `ctrl+t` light/dark theme ·
`?` this help · `escape` back · `ctrl+q` quit. The footer always lists the keys of the
current screen.

## Pipeline (managers)
Open deals with stage, amount, owner, the criterion heat strip
(one letter per criterion: red = stated gap, orange = nothing, yellow = mentioned,
green = specific/validated), the score and the flags; close date, next step and account
too on wide terminals. The line under the table shows the highlighted deal in full. Totals
above (for the filter or account shown): Pipe(line), w(eigh)t(e)d, qual(ified: passing
the stage gate) and flag(ged share, deals).
`enter` open deal · `f` filter (owner, stage, flag) · `s` change sort · `r` reload ·
`x` clear filters · `R` reps.
`n` new deal (account, amount, stage, close date, owner, type, playbook).

## Reps
Every rep with team, manager, open deals, open pipeline and accounts (also from `ctrl+p`).
`enter`/`e` edit the rep (a new name shows at once on their deals) · `a` add a rep.

## Deal
Scorecard per criterion (By: A analyser, R rep, M manager) with evidence quotes, flags with reasons, contacts and buying
roles, the review trend, notes newest first with evidence highlighted (green supports,
red is a stated gap).
`n` add a note (analysed in the background; author and optional title, which is never
analysed) · `t` the agreed next step (set what/who/due, `ctrl+d` in it marks it done) ·
`o` override the selected criterion · `a` re-analyse notes · `q` guided qualification ·
`p` pre-call checklist (prep) · `k` contacts · `w` people read from the notes: new
contacts, roles, stances, departures, arrivals, each with its quote (`y` accept, `d` dismiss).
`e` edit the deal · `c` close won/lost · `z` pause/resume (each change in its history,
with your name and the reason).
`m` manager's review: `y` agree, `0`-`3` correct (a reason is required), forecast,
comment and next step, `ctrl+s` save. The evidence pane says which score is in force and why.

## Contacts (from a deal)
The account's people: on the deal (✓) or not, their role on this deal (* where it
differs from their buying role), stance towards us, influence, manager.
`a` add · `e`/`enter` edit (and their role on this deal) · `l` put on / take off the
deal. In the form: `ctrl+s` save (again to save a possible duplicate) · `escape` cancel.

## Qualify
A walk through the playbook in Natural Selling order: what we know, the rubric, the
questions, and what the customer said. The analyser suggests a score as you type.
Saving records the review and keeps what the customer said as a note on the deal.
`ctrl+n` next criterion · `ctrl+b` previous · `ctrl+s` save.

## Pre-call checklist
The gaps that matter at the deal's stage, ordered by meeting phase, with the question,
when to ask it, what to confirm and who should attend.
`e` export Markdown (path dialog).
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close help", id="help.close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help"):
            yield Markdown(HELP)

    def action_close(self) -> None:
        self.dismiss(None)
