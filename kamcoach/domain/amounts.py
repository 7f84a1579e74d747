"""The one bound every deal amount must respect, wherever it comes from.

``float("9" * 400)`` is infinity, and one infinite amount turns every total
into "inf" and every ratio into "nan %" (and writes ``Infinity``, which is not
JSON). No deal is worth a million billion of any currency, so amounts above
:data:`MAX_AMOUNT` are refused where they enter: the CSV value parser
(a bad row) and the storage validation every manual edit goes through.
"""

from __future__ import annotations

import math

#: Largest amount kamcoach accepts: 10^15 (a million billion), far above any
#: real deal, yet a sum of millions of such amounts stays a finite float.
MAX_AMOUNT = 1e15


def amount_problem(value: float) -> str | None:
    """Why ``value`` cannot be a deal amount (not a number, too large, negative), or None.

    Infinity is "too large": it is what ``float`` makes of a number typed with
    hundreds of digits, and that is what the user should read.
    """
    if math.isnan(value):
        return "is not a number"
    if value > MAX_AMOUNT:
        return f"is above the largest amount accepted ({MAX_AMOUNT:,.0f})"
    if value < 0:
        return "is negative"
    return None
