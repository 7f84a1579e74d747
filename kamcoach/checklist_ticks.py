"""Which pre-call checklist items the rep has ticked, per deal, remembered between runs.

A tick is the rep's own progress through one call's preparation: not a fact
about the deal for the team to see (so not the database, which a manager
shares), not a preference (so not config.toml, which the app never rewrites).
It lives in the app's state file (:mod:`kamcoach.state`) under
``checklist_ticks``: ``{"<deal id>": ["<criterion id>", ...]}``. Items are
named by criterion, so a rebuilt checklist keeps its ticks; an item that has
left the checklist (its gap closed) drops its tick at the next save.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from kamcoach.state import load_state, remember

KEY = "checklist_ticks"


def load_ticks(deal_id: int, path: Path | None = None) -> set[str]:
    """The criteria ticked on this deal's checklist (none when the state file is unreadable)."""
    ticks = load_state(path).get(KEY)
    if not isinstance(ticks, dict):
        return set()
    items = ticks.get(str(deal_id))
    return {str(i) for i in items} if isinstance(items, list) else set()


def save_ticks(deal_id: int, ticked: Iterable[str], path: Path | None = None) -> bool:
    """Remember the ticked criteria of one deal; False when the state file cannot be written."""
    ticks = load_state(path).get(KEY)
    ticks = dict(ticks) if isinstance(ticks, dict) else {}
    items = sorted(set(ticked))
    if items:
        ticks[str(deal_id)] = items
    else:
        ticks.pop(str(deal_id), None)
    return remember(KEY, ticks, path)
