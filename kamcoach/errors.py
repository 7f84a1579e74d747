"""Errors a user can cause and fix.

Every exception derived from :class:`KamcoachError` is reported by the CLI as a
single line (no traceback) with a non-zero exit code, so the message must say
what is wrong and where (file, row, key, id).
"""

from __future__ import annotations


class KamcoachError(Exception):
    """A user-facing error: bad input, unknown id, broken playbook..."""

    exit_code: int = 1


class PlaybookError(KamcoachError):
    """A playbook file is missing, unreadable or does not follow the schema."""

    def __init__(self, path: object, key: str, problem: str) -> None:
        self.path = str(path)
        self.key = key
        self.problem = problem
        where = f"{self.path}: {key}" if key else self.path
        super().__init__(f"{where}: {problem}")


class NotFoundError(KamcoachError):
    """An id or name given by the user does not exist in the database."""


class InputError(KamcoachError):
    """A user-supplied file or value cannot be used."""


class DatabaseError(KamcoachError):
    """The database file cannot be opened or is not a kamcoach database."""
