"""Map a CRM export's headers onto kamcoach fields, and CRM stage names onto kamcoach stages.

Each CRM is described by a TOML file (``playbooks/crm/<crm>.toml``): per record
kind (``opportunities``, ``notes`` or ``contacts``) the header synonyms, English and French,
of every target field; the CRM's stage names and deal types. A team adds
synonyms or stages, or a whole new CRM, with a file in ``<config dir>/crm/``
or ``--mapping FILE.toml``: a file whose ``crm`` names a bundled CRM extends
it (its synonyms are tried first, its stages win), another name adds a CRM.

Headers are compared after normalisation (case, accents, punctuation) with
rapidfuzz, so "Nom de l'opportunité", "NOM DE L OPPORTUNITE" and a trailing
space all land on the same field; the CRM and record kind of a file are the
candidate whose headers score best overall.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from kamcoach.domain.stages import DEAL_TYPES, DEFAULT_PROBABILITY, STAGES
from kamcoach.errors import InputError
from kamcoach.paths import config_dir, playbooks_dir

KINDS: tuple[str, ...] = ("opportunities", "notes", "contacts")

FIELDS: dict[str, tuple[str, ...]] = {
    "opportunities": (
        "external_id",
        "name",
        "account",
        "account_id",
        "stage",
        "status",
        "amount",
        "currency",
        "close_date",
        "owner",
        "account_owner",
        "type",
        "playbook",
        "contact",
        "contact_title",
        "contact_email",
        "created_at",
        "next_step",
        "probability",
        "stage_changed_at",
    ),
    "notes": (
        "external_id",
        "deal_id",
        "deal_name",
        "account",
        "subject",
        "text",
        "created_at",
        "author",
    ),
    "contacts": (
        "external_id",
        "name",
        "first_name",
        "last_name",
        "title",
        "email",
        "account",
        "account_id",
        "reports_to",
        "reports_to_id",
        "buying_role",
        "stance",
        "influence",
        "last_contact_at",
    ),
}

#: Per kind, groups of fields of which at least one must be mapped.
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "opportunities": (("name",), ("account",), ("stage", "status")),
    "notes": (("text", "subject"), ("deal_id", "deal_name"), ("created_at",)),
    "contacts": (("name", "first_name", "last_name"), ("account", "account_id")),
}

#: Date-valued fields, whose values decide the file's day/month order.
DATE_FIELDS: frozenset[str] = frozenset({"close_date", "created_at", "last_contact_at"})

HEADER_CUTOFF = 88.0
STAGE_CUTOFF = 90.0

_TOP_KEYS = (
    "crm",
    "label",
    "default_currency",
    *KINDS,
    "stages",
    "types",
    "stage_probability",
)


class MappingError(InputError):
    """A mapping file is unreadable or does not follow the schema: names file and key."""

    def __init__(self, path: object, key: str, problem: str) -> None:
        where = f"{path}: {key}" if key else str(path)
        super().__init__(f"{where}: {problem}")


_NON_ALNUM = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=1 << 16)
def normalise(text: str) -> str:
    """Lower-case, strip accents, turn punctuation into single spaces.

    Cached: an export repeats the same account, stage and owner names on
    thousands of rows.
    """
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", text.casefold()).strip()


@dataclass(slots=True)
class CrmMapping:
    """Everything kamcoach knows about one CRM's exports."""

    name: str
    label: str
    sources: list[Path] = field(default_factory=list)
    #: kind -> field -> header synonyms, in priority order
    fields: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    #: normalised CRM stage name -> kamcoach stage
    stages: dict[str, str] = field(default_factory=dict)
    #: normalised CRM stage name -> the name as written in the mapping file
    stage_labels: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    default_currency: str = "EUR"
    #: kamcoach stage -> the win probability (percent) the CRM's default pipeline gives it
    stage_probability: dict[str, float] = field(default_factory=dict)

    def map_stage(self, value: str, probability: float | None = None) -> str:
        """The kamcoach stage for a CRM stage name.

        A label no mapping knows (CRMs rename their default stages between
        versions and translations, and teams add their own) is placed by the
        win probability the export gives it, when it gives one: the stage whose
        probability in this CRM's default pipeline is closest. Otherwise the
        ValueError proposes the closest known label and the mapping line to add.
        """
        key = normalise(value)
        if key in self.stages:
            return self.stages[key]
        if key.replace(" ", "_") in STAGES:
            return key.replace(" ", "_")
        if self.stages:
            best = process.extractOne(
                key, list(self.stages), scorer=fuzz.ratio, score_cutoff=STAGE_CUTOFF
            )
            if best is not None:
                return self.stages[best[0]]
        if probability is not None:
            return self.stage_for_probability(probability)
        raise ValueError(self.unknown_stage(value))

    def stage_for_probability(self, percent: float) -> str:
        """The stage whose probability is closest to ``percent`` (ties: the earlier stage).

        100 % reads as won and 0 % as lost only when the CRM says so exactly:
        an open stage at 5 % is early in the funnel, not lost.
        """
        table = self.stage_probability or {s: p * 100 for s, p in DEFAULT_PROBABILITY.items()}
        if percent >= 100:
            return "closed_won"
        if percent <= 0:
            return "closed_lost"
        open_stages = [s for s in STAGES if s in table and s not in ("closed_won", "closed_lost")]
        return min(open_stages, key=lambda s: (abs(table[s] - percent), STAGES.index(s)))

    def unknown_stage(self, value: str) -> str:
        """Why ``value`` cannot be mapped, with the closest known label and the line to add."""
        known = sorted(set(self.stage_labels.values()))
        hint = ""
        if self.stages:
            best = process.extractOne(
                normalise(value), list(self.stages), scorer=fuzz.token_set_ratio
            )
            if best is not None:
                label, stage = self.stage_labels[best[0]], self.stages[best[0]]
                hint = (
                    f"; closest known: {label!r} ({stage}). If that is right, add the line "
                    f'{_toml_key(value)} = "{stage}" under [stages] in '
                    f'{config_dir() / "crm" / f"{self.name}.toml"} (with crm = "{self.name}")'
                )
        if not hint:
            hint = "; add it under [stages] in a mapping file"
        return f"unknown {self.label} stage {value!r}{hint} (known: {', '.join(known)})"

    def map_status(self, value: str) -> str | None:
        """A closed stage for a won/lost status; None for open or unknown statuses."""
        stage = self.stages.get(normalise(value))
        return stage if stage in ("closed_won", "closed_lost") else None

    def map_type(self, value: str) -> str | None:
        key = normalise(value)
        if key in DEAL_TYPES:
            return key
        return self.types.get(key)


# ---------------------------------------------------------------- loading


def _toml_key(text: str) -> str:
    """``text`` as a TOML quoted key (quotes and backslashes escaped)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise MappingError(path, "", "no such file") from None
    except OSError as exc:
        raise MappingError(path, "", f"cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(path, "", f"invalid TOML ({exc})") from None
    except UnicodeDecodeError:
        raise MappingError(path, "", "not UTF-8 text") from None
    except RecursionError:
        raise MappingError(path, "", "invalid TOML (nested too deeply)") from None


def _apply_file(mappings: dict[str, CrmMapping], path: Path, data: dict[str, Any]) -> str:
    """Validate one file and merge it into ``mappings``; returns the CRM name."""
    for key in data:
        if key not in _TOP_KEYS:
            raise MappingError(path, key, f"unknown key (allowed: {', '.join(_TOP_KEYS)})")
    name = data.get("crm")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
        raise MappingError(path, "crm", "missing or not a lower-case identifier like 'salesforce'")
    label = data.get("label")
    if label is not None and not isinstance(label, str):
        raise MappingError(path, "label", "must be a string")
    existing = mappings.get(name)
    target = existing or CrmMapping(name=name, label=label or name)
    if label:
        target.label = label
    currency = data.get("default_currency")
    if currency is not None:
        if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
            raise MappingError(path, "default_currency", "must be a 3-letter code like 'EUR'")
        target.default_currency = currency
    for kind in KINDS:
        if kind not in data:
            continue
        section = data[kind]
        if not isinstance(section, dict) or set(section) - {"fields"}:
            raise MappingError(path, kind, "must be a table with only a 'fields' sub-table")
        fields = section.get("fields", {})
        if not isinstance(fields, dict):
            raise MappingError(path, f"{kind}.fields", "must be a table")
        known = target.fields.setdefault(kind, {})
        for fname, synonyms in fields.items():
            key = f"{kind}.fields.{fname}"
            if fname not in FIELDS[kind]:
                raise MappingError(path, key, f"unknown field (allowed: {', '.join(FIELDS[kind])})")
            if (
                not isinstance(synonyms, list)
                or not synonyms
                or not all(isinstance(s, str) and normalise(s) for s in synonyms)
            ):
                raise MappingError(path, key, "must be a non-empty list of header names")
            previous = known.get(fname, [])
            known[fname] = list(synonyms) + [s for s in previous if s not in synonyms]
    for table, allowed, store in (
        ("stages", STAGES, target.stages),
        ("types", DEAL_TYPES, target.types),
    ):
        if table not in data:
            continue
        entries = data[table]
        if not isinstance(entries, dict):
            raise MappingError(path, table, "must be a table of 'CRM name' = 'kamcoach value'")
        for crm_value, ours in entries.items():
            key = f'{table}."{crm_value}"'
            if not normalise(crm_value):
                raise MappingError(path, key, "empty CRM name")
            if ours not in allowed:
                raise MappingError(path, key, f"{ours!r} is not one of {', '.join(allowed)}")
            store[normalise(crm_value)] = ours
            if table == "stages":
                target.stage_labels[normalise(crm_value)] = crm_value
    if "stage_probability" in data:
        entries = data["stage_probability"]
        if not isinstance(entries, dict):
            raise MappingError(path, "stage_probability", "must be a table of stage = percent")
        for stage, percent in entries.items():
            key = f"stage_probability.{stage}"
            if stage not in STAGES:
                raise MappingError(path, key, f"{stage!r} is not one of {', '.join(STAGES)}")
            if isinstance(percent, bool) or not isinstance(percent, int | float):
                raise MappingError(path, key, "must be a number of percent (0-100)")
            if not 0 <= percent <= 100:
                raise MappingError(path, key, f"{percent} is not between 0 and 100")
            target.stage_probability[stage] = float(percent)
    if existing is None and not target.fields:
        raise MappingError(
            path, "", "a new CRM needs [opportunities.fields], [notes.fields] or [contacts.fields]"
        )
    target.sources.append(path)
    mappings[name] = target
    return name


def load_mappings(extra: Path | None = None) -> tuple[dict[str, CrmMapping], str | None]:
    """Bundled mappings, then the team's ``<config dir>/crm/*.toml``, then ``extra``.

    Returns all mappings and the name of the CRM ``extra`` describes (or None).
    """
    mappings: dict[str, CrmMapping] = {}
    folders = [playbooks_dir() / "crm", config_dir() / "crm"]
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                _apply_file(mappings, path, _read_toml(path))
    chosen = None
    if extra is not None:
        chosen = _apply_file(mappings, extra, _read_toml(extra))
    return mappings, chosen


# ---------------------------------------------------------------- headers


@dataclass(frozen=True, slots=True)
class ColumnMatch:
    header: str
    index: int
    field: str
    score: float
    synonym: str


@dataclass(slots=True)
class HeaderMapping:
    """Which column feeds which field, for one CRM and record kind."""

    crm: CrmMapping
    kind: str
    headers: list[str]
    matches: list[ColumnMatch]
    missing: list[tuple[str, ...]]

    @property
    def total(self) -> float:
        return sum(m.score for m in self.matches)

    @property
    def complete(self) -> bool:
        return not self.missing

    def column(self, name: str) -> int | None:
        for m in self.matches:
            if m.field == name:
                return m.index
        return None

    def columns(self) -> dict[str, int]:
        """Field -> column index, for per-row lookups."""
        return {m.field: m.index for m in self.matches}

    @property
    def ignored(self) -> list[str]:
        used = {m.index for m in self.matches}
        return [h for i, h in enumerate(self.headers) if i not in used and h]


def match_headers(headers: list[str], crm: CrmMapping, kind: str) -> HeaderMapping:
    """Best one-to-one assignment of headers to fields (greedy on score, then synonym rank)."""
    candidates: list[tuple[float, int, int, str, str]] = []
    fields = crm.fields.get(kind, {})
    prepared = {fname: [normalise(s) for s in synonyms] for fname, synonyms in fields.items()}
    for index, header in enumerate(headers):
        key = normalise(header)
        if not key:
            continue
        for fname, synonyms in fields.items():
            normalised = prepared[fname]
            best = process.extractOne(
                key, normalised, scorer=fuzz.ratio, score_cutoff=HEADER_CUTOFF
            )
            if best is not None:
                candidates.append((best[1], -best[2], index, fname, synonyms[best[2]]))
    candidates.sort(key=lambda c: (-c[0], -c[1], c[2]))
    used_headers: set[int] = set()
    used_fields: set[str] = set()
    matches: list[ColumnMatch] = []
    for score, _rank, index, fname, synonym in candidates:
        if index in used_headers or fname in used_fields:
            continue
        used_headers.add(index)
        used_fields.add(fname)
        matches.append(ColumnMatch(headers[index], index, fname, round(score, 1), synonym))
    matches.sort(key=lambda m: m.index)
    missing = [group for group in REQUIRED[kind] if not used_fields & set(group)]
    return HeaderMapping(crm=crm, kind=kind, headers=headers, matches=matches, missing=missing)


def detect(
    headers: list[str],
    mappings: dict[str, CrmMapping],
    *,
    crm: str | None = None,
    kind: str | None = None,
    path: Path | str = "",
) -> HeaderMapping:
    """Pick the CRM and record kind whose synonyms cover the headers best.

    Candidates mapping every required field beat incomplete ones; among them
    the highest total score wins. With nothing complete, the error names the
    missing fields of the closest candidate and the headers seen.
    """
    if crm is not None and crm not in mappings:
        raise InputError(f"unknown CRM mapping {crm!r} (known: {', '.join(sorted(mappings))})")
    names = [crm] if crm else list(mappings)
    kinds = [kind] if kind else list(KINDS)
    results = [
        match_headers(headers, mappings[n], k)
        for n in names
        for k in kinds
        if mappings[n].fields.get(k)
    ]
    if not results:
        raise InputError(f"{path}: no mapping describes {'/'.join(kinds)} for {'/'.join(names)}")
    results.sort(key=lambda r: (r.complete, r.total, len(r.matches)), reverse=True)
    best = results[0]
    if not best.complete:
        wanted = "; ".join(" or ".join(group) for group in best.missing)
        seen = ", ".join(repr(h) for h in headers if h)
        raise InputError(
            f"{path}: cannot find the column for {wanted} "
            f"(closest format: {best.crm.label} {best.kind}; headers seen: {seen}); "
            f"add the header to a mapping file (--mapping FILE.toml)"
        )
    return best
