"""The kamcoach terminal app (Textual): thin screens over the same core as the CLI.

Only this package imports Textual; see :func:`kamcoach.tui.app.make_app`.
"""
