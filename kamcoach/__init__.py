"""kamcoach: a local sales-methodology coach.

The package is layered so that the folder layout reads as the architecture:

- ``domain``     dataclasses for accounts, deals, notes and reviews, plus stage rules;
- ``playbooks``  loading and validating the methodology playbooks kept as data;
- ``storage``    the SQLite store (sqlite-utils), its migrations and queries;
- ``analysis``   the spaCy note analyser (evidence, gaps, 0-3 scores);
- ``review``     pipeline flags, forecasts, coaching and pre-call checklists;
- ``io``         CRM import and export;
- ``cli`` / ``tui``  thin interfaces over the same core functions.

Nothing outside ``kamcoach.tui`` imports Textual, and nothing imports spaCy at
import time: the model is loaded lazily on first analysis.
"""

__version__ = "0.1.0"
