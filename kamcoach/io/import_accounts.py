"""Which account (and contact) a CRM row means: names compared the way people write them.

An account is the same when its normalised name (legal suffixes, case,
accents and punctuation removed) matches an existing account or an earlier
row of the file, exactly or with rapidfuzz token_sort_ratio >= 90, and any
numbers in the names agree ("Client 12" is not "Client 13"). A contact is
the same when its name's words match within the account, in any order.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process
from sqlite_utils import Database

from kamcoach.io.mapping import normalise

ACCOUNT_CUTOFF = 90.0

#: Words that do not tell two companies apart ("Carrefour SA" is "CARREFOUR").
LEGAL_WORDS = frozenset(
    {
        "sa",
        "sas",
        "sasu",
        "sarl",
        "eurl",
        "sca",
        "snc",
        "gmbh",
        "ag",
        "kg",
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "llc",
        "llp",
        "plc",
        "corp",
        "corporation",
        "co",
        "company",
        "bv",
        "nv",
        "spa",
        "srl",
        "sl",
        "ab",
        "oy",
        "group",
        "groupe",
        "the",
    }
)


def account_key(name: str) -> str:
    """The normalised form accounts are compared on: no legal words, words sorted."""
    # "S.A.S." must read as "SAS", not as three one-letter words.
    tokens = normalise(name.replace(".", "")).split()
    kept = [t for t in tokens if t not in LEGAL_WORDS]
    return " ".join(sorted(kept or tokens))


def person_key(name: str) -> str:
    """Contacts compare on their name's words in any order ("Dupont Marie" = "Marie Dupont")."""
    return " ".join(sorted(normalise(name).split()))


# ---------------------------------------------------------------- indexes


class Accounts:
    """Existing accounts plus those the file adds, matched on normalised names."""

    def __init__(self, db: Database, source: str) -> None:
        self.by_key: dict[str, tuple[int, str]] = {}
        self.by_ext: dict[str, int] = {}
        self.cache: dict[str, tuple[int, str]] = {}
        for acc_id, name, ext, src in db.execute(
            "SELECT id, name, external_id, source FROM accounts ORDER BY id"
        ):
            self.by_key.setdefault(account_key(name), (acc_id, name))
            if ext and src == source:
                self.by_ext[ext] = acc_id
        self.keys = list(self.by_key)

    def find(self, name: str) -> tuple[int, str] | None:
        if name in self.cache:
            return self.cache[name]
        key = account_key(name)
        found = self.by_key.get(key)
        if found is None and self.keys:
            digits = _digits(key)
            # Keys are stored with sorted words, so plain ratio here equals
            # token_sort_ratio without re-sorting every candidate on every call.
            for candidate, _score, _index in process.extract(
                key, self.keys, scorer=fuzz.ratio, score_cutoff=ACCOUNT_CUTOFF, limit=5
            ):
                # "Client 12" is not "Client 13": numbers must agree exactly.
                if _digits(candidate) == digits:
                    found = self.by_key[candidate]
                    break
        if found is not None:  # a miss may turn into a hit once the file adds the account
            self.cache[name] = found
        return found

    def add(self, name: str, acc_id: int) -> None:
        key = account_key(name)
        self.by_key[key] = (acc_id, name)
        self.keys.append(key)


def _digits(text: str) -> list[str]:
    return re.findall(r"\d+", text)
