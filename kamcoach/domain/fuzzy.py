"""Close matches for a mistyped name: the "did you mean" of every lookup.

Pure text work (rapidfuzz), so the storage lookups, the CLI's option checks
and the completions share one notion of "close".
"""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import fuzz, process, utils

CUTOFF = 75.0
"""Below this WRatio score a name is not offered: 'Acme renewl' finds 'Acme renewal',
'Nobody' finds nothing."""


def close_matches(word: str, choices: Iterable[str], *, limit: int = 3) -> list[str]:
    """The choices closest to ``word``, best first (case and accents of spelling aside)."""
    found = process.extract(
        word,
        list(dict.fromkeys(choices)),
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        score_cutoff=CUTOFF,
        limit=limit,
    )
    return [choice for choice, _score, _index in found]


def did_you_mean(suggestions: list[str]) -> str:
    """``"; did you mean 'A' or 'B'?"`` (already quoted items), or "" when there are none."""
    if not suggestions:
        return ""
    if len(suggestions) == 1:
        return f"; did you mean {suggestions[0]}?"
    return f"; did you mean {', '.join(suggestions[:-1])} or {suggestions[-1]}?"
