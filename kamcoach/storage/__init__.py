"""The SQLite store: opening, migrations and queries, always on a passed-in Database."""

from kamcoach.storage.db import open_db

__all__ = ["open_db"]
