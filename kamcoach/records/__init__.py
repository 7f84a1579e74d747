"""Records a rep or a manager creates and edits by hand: deals, reps, contacts, notes,
next steps, proposals read from notes and managers' deal reviews.

Each module here is the one core function set both the CLI and the TUI call, so a
change made from either interface validates and records history the same way.
"""
