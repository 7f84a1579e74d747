"""Load and validate playbook files.

Playbooks are TOML files a team edits by hand, so every check names the file and
the dotted key that is wrong; unknown keys are rejected because a typo
("weigth") would otherwise be silently ignored.

Layout of a playbook folder::

    criteria/<criterion id>.toml   one criterion: names, rubric, questions, patterns
    <playbook id>.toml             kind = "qualification" (weights, stage gates)
                                   or kind = "method" (Natural Selling phases)

The bundled folder is read first, then ``<config dir>/playbooks``: a team file
with the same id replaces the bundled one, a new id adds a playbook.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from kamcoach.domain.stages import STAGES
from kamcoach.errors import PlaybookError
from kamcoach.paths import config_dir, playbooks_dir
from kamcoach.playbooks.model import (
    LANGS,
    Criterion,
    LangPatterns,
    Method,
    Phase,
    Playbook,
    PlaybookSet,
    Question,
    Stage,
    Text,
)

PHASE_IDS: tuple[str, ...] = (
    "opening",
    "mutual_discovery",
    "value",
    "qualification",
    "next_steps",
)
#: Files in a playbook folder that are not playbooks (pipeline-review flag thresholds).
NOT_PLAYBOOKS = frozenset({"flags.toml"})
#: Files of the bundled folder only that are not playbooks: team settings (kamcoach.team).
#: A team's copy lives in the config folder itself, so its ``playbooks/team.toml`` is a playbook.
BUNDLED_NOT_PLAYBOOKS = frozenset({"team.toml"})
ENTITY_LABELS = frozenset(
    {"MONEY", "PERCENT", "DATE", "TIME", "CARDINAL", "QUANTITY", "PERSON", "PER", "ORG"}
)


class _Node:
    """A dictionary being validated, remembering its file and dotted key."""

    def __init__(self, data: dict[str, Any], path: Path, key: str = "") -> None:
        self.data = data
        self.path = path
        self.key = key

    def _k(self, name: str) -> str:
        return f"{self.key}.{name}" if self.key else name

    def error(self, name: str, problem: str) -> PlaybookError:
        return PlaybookError(self.path, self._k(name) if name else self.key, problem)

    def only(self, *allowed: str) -> None:
        for name in self.data:
            if name not in allowed:
                raise self.error(str(name), f"unknown key (allowed: {', '.join(allowed)})")

    def has(self, name: str) -> bool:
        return name in self.data

    def raw(self, name: str) -> Any:
        if name not in self.data:
            raise self.error(name, "missing required key")
        return self.data[name]

    def node(self, name: str) -> _Node:
        value = self.raw(name)
        if not isinstance(value, dict):
            raise self.error(name, f"expected a table, got {type(value).__name__}")
        return _Node(value, self.path, self._k(name))

    def string(self, name: str, default: str | None = None) -> str:
        if default is not None and name not in self.data:
            return default
        value = self.raw(name)
        if not isinstance(value, str) or not value.strip():
            raise self.error(name, "expected a non-empty string")
        return value

    def integer(self, name: str, lo: int, hi: int) -> int:
        value = self.raw(name)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise self.error(name, f"expected a whole number from {lo} to {hi}, got {value!r}")
        return value

    def num(self, name: str, lo: float, hi: float) -> float:
        value = self.raw(name)
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            raise self.error(name, f"expected a number from {lo} to {hi}, got {value!r}")
        return float(value)

    def strings(self, name: str, required: bool = False) -> tuple[str, ...]:
        if name not in self.data and not required:
            return ()
        value = self.raw(name)
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.error(name, "expected a list of non-empty strings")
        return tuple(value)

    def text(self, name: str) -> Text:
        node = self.node(name)
        node.only(*LANGS)
        return Text(en=node.string("en"), fr=node.string("fr"))

    def nodes(self, name: str) -> list[_Node]:
        value = self.raw(name)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(name, "expected an array of tables ([[...]])")
        return [_Node(v, self.path, f"{self._k(name)}[{i}]") for i, v in enumerate(value)]


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PlaybookError(path, "", f"cannot read file ({exc.strerror})") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise PlaybookError(path, "", "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise PlaybookError(path, "", f"invalid TOML: {exc}") from None
    except RecursionError:
        raise PlaybookError(path, "", "invalid TOML: nested too deeply") from None


def _parse_patterns(node: _Node) -> LangPatterns:
    node.only("phrases", "gap_phrases", "quantified_phrases", "token_patterns", "entities")
    token_patterns: list[tuple[dict[str, object], ...]] = []
    if node.has("token_patterns"):
        value = node.raw("token_patterns")
        if not isinstance(value, list):
            raise node.error("token_patterns", "expected a list of token-pattern lists")
        for i, pattern in enumerate(value):
            if (
                not isinstance(pattern, list)
                or not pattern
                or not all(isinstance(tok, dict) and tok for tok in pattern)
            ):
                raise node.error(
                    f"token_patterns[{i}]",
                    'expected a non-empty list of token tables like {LOWER = "cfo"}',
                )
            token_patterns.append(tuple(pattern))
    entities = node.strings("entities")
    for label in entities:
        if label not in ENTITY_LABELS:
            raise node.error(
                "entities", f"unknown entity label {label!r} (allowed: {sorted(ENTITY_LABELS)})"
            )
    return LangPatterns(
        phrases=node.strings("phrases"),
        gap_phrases=node.strings("gap_phrases"),
        quantified_phrases=node.strings("quantified_phrases"),
        token_patterns=tuple(token_patterns),
        entities=entities,
    )


def parse_criterion(data: dict[str, Any], path: Path) -> Criterion:
    """Validate one ``criteria/<id>.toml`` file."""
    root = _Node(data, path)
    root.only("id", "name", "short", "definition", "why", "rubric", "questions", "patterns")
    cid = root.string("id")
    if cid != path.stem:
        raise root.error("id", f"id {cid!r} must match the file name {path.stem!r}")
    rubric_node = root.node("rubric")
    rubric_node.only("0", "1", "2", "3")
    rubric = tuple(rubric_node.text(str(level)) for level in range(4))
    questions = []
    for q in root.nodes("questions"):
        q.only("phase", "text", "when")
        phase = q.string("phase")
        if phase not in PHASE_IDS:
            raise q.error("phase", f"unknown phase {phase!r} (allowed: {', '.join(PHASE_IDS)})")
        questions.append(
            Question(criterion=cid, phase=phase, text=q.text("text"), when=q.text("when"))
        )
    if not questions:
        raise root.error("questions", "at least one question is required")
    patterns_node = root.node("patterns")
    patterns_node.only(*LANGS)
    patterns = {lang: _parse_patterns(patterns_node.node(lang)) for lang in LANGS}
    return Criterion(
        id=cid,
        name=root.text("name"),
        short=root.string("short"),
        definition=root.text("definition"),
        why=root.text("why"),
        rubric=(rubric[0], rubric[1], rubric[2], rubric[3]),
        questions=tuple(questions),
        patterns=patterns,
        source=path,
    )


def parse_playbook(data: dict[str, Any], path: Path, criteria: dict[str, Criterion]) -> Playbook:
    """Validate a qualification playbook against the known criteria and stages."""
    root = _Node(data, path)
    root.only("id", "kind", "name", "description", "weights", "stages")
    pid = root.string("id")
    weights_node = root.node("weights")
    weights: dict[str, float] = {}
    for cid in weights_node.data:
        if cid not in criteria:
            raise weights_node.error(
                str(cid), f"unknown criterion (known: {', '.join(sorted(criteria))})"
            )
        weights[cid] = weights_node.num(cid, 0.0, 100.0)
    if not weights:
        raise root.error("weights", "at least one weighted criterion is required")
    stages = []
    seen: set[str] = set()
    for s in root.nodes("stages"):
        s.only("id", "probability", "gate")
        sid = s.string("id")
        if sid not in STAGES:
            raise s.error("id", f"unknown stage {sid!r} (allowed: {', '.join(STAGES)})")
        if sid in seen:
            raise s.error("id", f"stage {sid!r} listed twice")
        seen.add(sid)
        gate_node = s.node("gate") if s.has("gate") else _Node({}, path, f"{s.key}.gate")
        gate: dict[str, int] = {}
        for cid in gate_node.data:
            if cid not in weights:
                raise gate_node.error(str(cid), "criterion is not weighted in this playbook")
            gate[cid] = gate_node.integer(cid, 0, 3)
        stages.append(Stage(id=sid, probability=s.num("probability", 0.0, 1.0), gate=gate))
    missing = [sid for sid in STAGES if sid not in seen]
    if missing:
        raise root.error("stages", f"missing stages: {', '.join(missing)}")
    return Playbook(
        id=pid,
        name=root.text("name"),
        description=root.text("description"),
        weights=weights,
        stages=tuple(stages),
        source=path,
    )


def parse_method(data: dict[str, Any], path: Path, criteria: dict[str, Criterion]) -> Method:
    """Validate the Natural Selling method file (meeting phases and timing)."""
    root = _Node(data, path)
    root.only("id", "kind", "name", "description", "principles", "phases")
    phases = []
    for p in root.nodes("phases"):
        p.only("id", "name", "goal", "start_minute", "end_minute", "uncovers", "tips")
        pid = p.string("id")
        if pid not in PHASE_IDS:
            raise p.error("id", f"unknown phase {pid!r} (allowed: {', '.join(PHASE_IDS)})")
        start = p.integer("start_minute", 0, 600)
        end = p.integer("end_minute", 0, 600)
        if end < start:
            raise p.error("end_minute", "ends before it starts")
        uncovers = p.strings("uncovers")
        for cid in uncovers:
            if cid not in criteria:
                raise p.error("uncovers", f"unknown criterion {cid!r}")
        tips_node = p.node("tips")
        tips_node.only(*LANGS)
        tips = {lang: tips_node.strings(lang, required=True) for lang in LANGS}
        phases.append(
            Phase(
                id=pid,
                name=p.text("name"),
                goal=p.text("goal"),
                start_minute=start,
                end_minute=end,
                uncovers=uncovers,
                tips=tips,
            )
        )
    principles_node = root.node("principles")
    principles_node.only(*LANGS)
    return Method(
        id=root.string("id"),
        name=root.text("name"),
        description=root.text("description"),
        phases=tuple(phases),
        principles={lang: principles_node.strings(lang, required=True) for lang in LANGS},
        source=path,
    )


def _folders(extra: list[Path] | None) -> list[Path]:
    folders = [playbooks_dir()]
    team = config_dir() / "playbooks"
    if team.is_dir():
        folders.append(team)
    folders.extend(extra or [])
    return folders


def load_playbooks(
    folders: list[Path] | None = None, *, extra: list[Path] | None = None
) -> PlaybookSet:
    """Load every playbook, later folders overriding earlier ones by id.

    ``folders`` replaces the default search path (bundled, then team config);
    ``extra`` appends to it. Raises :class:`PlaybookError` on the first problem.
    """
    search = folders if folders is not None else _folders(extra)
    criterion_files: dict[str, Path] = {}
    top_files: dict[str, Path] = {}
    for folder in search:
        if not folder.is_dir():
            raise PlaybookError(folder, "", "playbook folder does not exist")
        for path in sorted((folder / "criteria").glob("*.toml")):
            criterion_files[path.stem] = path
        for path in sorted(folder.glob("*.toml")):
            if path.name in NOT_PLAYBOOKS:
                continue
            if path.name in BUNDLED_NOT_PLAYBOOKS and folder == playbooks_dir():
                continue
            top_files[path.stem] = path
    criteria = {cid: parse_criterion(_read_toml(p), p) for cid, p in criterion_files.items()}
    playbooks: dict[str, Playbook] = {}
    method: Method | None = None
    for stem, path in top_files.items():
        data = _read_toml(path)
        node = _Node(data, path)
        kind = node.string("kind")
        pid = node.string("id")
        if pid != stem:
            raise node.error("id", f"id {pid!r} must match the file name {stem!r}")
        if kind == "qualification":
            playbooks[pid] = parse_playbook(data, path, criteria)
        elif kind == "method":
            method = parse_method(data, path, criteria)
        else:
            raise node.error("kind", f"expected 'qualification' or 'method', got {kind!r}")
    if method is None:
        raise PlaybookError(search[0], "", 'no method playbook (kind = "method") found')
    if not playbooks:
        raise PlaybookError(search[0], "", "no qualification playbook found")
    return PlaybookSet(
        criteria=criteria,
        playbooks=playbooks,
        method=method,
        sources=tuple(criterion_files.values()) + tuple(top_files.values()),
    )
