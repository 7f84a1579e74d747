"""Pipeline review for managers: deterministic deal flags, totals, coaching and reports."""
