"""Generated ``kamcoach`` invocations for the CLI fuzzing (``tests/cli_fuzz.py``).

A :class:`Case` is a small workspace (files, a team config folder, optionally
hostile names written into the database) and one to three invocations.
Values are valid most of the time (:func:`_mostly`): an input refused at its
first option never reaches the code behind it. Generators are grouped by
*area* so the long run can also probe the parts other changes own (``names``:
Rich markup in stored names, ``outputs``: ``-o`` at the database or an
existing file, ``dbpath``: odd ``--db`` values) and report them apart from the
``core`` area that the suite keeps green.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from hypothesis import strategies as st

from kamcoach.domain.ids import is_utf8
from kamcoach.domain.stages import STAGES
from kamcoach.paths import playbooks_dir

PINNED_TODAY = "2026-11-20"
AREAS = ("core", "names", "outputs", "dbpath")
DB = "kamcoach.db"
GROUPS = ("deals", "accounts", "playbooks", "reps", "contacts", "proposals", "notes")
T = TypeVar("T")
TEAM = "team"

# ---------------------------------------------------------------- cases


@dataclass(frozen=True)
class Call:
    """One ``kamcoach`` invocation; ``@ws/`` in an argument is the workspace folder."""

    args: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()
    stdin: bytes | None = None

    def __str__(self) -> str:
        env = " ".join(f"{k}={v!r}" for k, v in self.env)
        stdin = f" <<< {self.stdin[:200]!r}" if self.stdin is not None else ""
        return f"{env + ' ' if env else ''}kamcoach {' '.join(map(repr, self.args))}{stdin}"


@dataclass(frozen=True)
class Case:
    """Files to lay out, names to store, then the calls, in order."""

    calls: tuple[Call, ...]
    files: tuple[tuple[str, bytes], ...] = ()
    names: tuple[str, ...] = ()

    def describe(self) -> str:
        lines = [f"  file {name}: {data[:300]!r}" for name, data in self.files]
        lines += [f"  stored name: {name!r}" for name in self.names]
        lines += [f"  $ {call}" for call in self.calls]
        return "\n".join(lines)


# ---------------------------------------------------------------- generators

COMMANDS = [
    *["deals show", "prep", "deals analyze", "analyze", "import", "pipeline"] * 3,
    *["deals list", "coach", "export", "accounts list", "playbooks show"] * 2,
    "playbooks list",
    # The records of issue 12, read with odd ids, names and formats.
    *["review", "deals history", "notes list", "contacts list", "proposals list", "reps list"],
    "contacts show",
    "reps show",
    "doctor",
    "playbooks check",  # compiles every pattern: about a second a call
]
"""Commands to draw, weighted toward those that read ids, files and options."""

SEED_NAMES = ["Acme ERP rollout", "acme erp rollout", "Northwind WMS", "Acme Industrie"]
ODD_IDS = [
    "1",
    "2",
    "3",
    "0",
    "007",
    "-1",
    "1.0",
    "1e3",
    " 2 ",
    "²",
    "³²",
    "٣",
    "１",
    "\udcff",
    str(2**31),
    str(2**63 - 1),
    str(2**63),
    str(2**64),
    "9" * 40,
    "1" * 5000,
    "",
    " ",
    "\x00",
    "--",
]
ARGV_UNDECODABLE = ["\udcff", "caf\udce9", "Acme \udcc3"]
"""Arguments as Python reads invalid UTF-8 bytes from the command line."""
HOSTILE_OUTPUTS = (f"@ws/{DB}", "@ws/input.csv", "@ws/existing.txt", "@ws", "@ws/missing/dir/x")
"""``-o`` targets the output-path rules must refuse or handle (issue 11.3)."""
HOSTILE_NAMES = [
    "[/red]",
    "[/]",
    "x [/bold] y",
    "Renewal [phase 2]",
    "[link=https://example.invalid]click[/link]",
    "[bold]",
    "\\[escaped]",
    "<script>alert(1)</script>",
    '=HYPERLINK("x")',
    "a\nb",
]
ODD_DATES = [
    PINNED_TODAY,
    "1900-01-01",
    "2999-12-31",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "2026-13-01",
    "20261120",
    "2026-11-20T10:00",
    "yesterday",
    " ",
    "-1",
]


def _text(areas: frozenset[str], max_size: int = 40) -> st.SearchStrategy[str]:
    """Free text; square brackets (Rich markup) only when the names area is on.

    Lone surrogates appear only as Python decodes them from a command line
    (``surrogateescape``: a byte that is not UTF-8 becomes U+DC80-U+DCFF).
    """
    blocked = "" if "names" in areas else "[]"
    alphabet = st.characters(exclude_characters=blocked + "\x00", exclude_categories=("Cs",))
    return st.one_of(st.text(alphabet, max_size=max_size), st.sampled_from(ARGV_UNDECODABLE))


def _mostly(
    usual: st.SearchStrategy[T], odd: st.SearchStrategy[T], per_ten: int = 8
) -> st.SearchStrategy[T]:
    """``usual`` nine times in ten (or ``per_ten``): an input that fails at the first
    option never reaches the code behind it, so most values must be valid."""
    return st.integers(0, 9).flatmap(lambda n: usual if n < per_ten else odd)


def _choice(valid: list[str] | tuple[str, ...], areas: frozenset[str]) -> st.SearchStrategy[str]:
    return _mostly(st.sampled_from(list(valid)), _text(areas, 12))


def _deal_ref(areas: frozenset[str]) -> st.SearchStrategy[str]:
    return _mostly(
        st.sampled_from(["1", "2", "3", *SEED_NAMES]),
        st.one_of(st.sampled_from(ODD_IDS), st.integers().map(str), _text(areas, 30)),
        per_ten=5,
    )


def _opt(name: str, value: st.SearchStrategy[str]) -> st.SearchStrategy[tuple[str, ...]]:
    return st.one_of(st.just(()), value.map(lambda v: (name, v)))


def _flag(name: str) -> st.SearchStrategy[tuple[str, ...]]:
    return st.sampled_from([(), (name,)])


@st.composite
def _options(draw: st.DrawFn, *parts: st.SearchStrategy[tuple[str, ...]]) -> tuple[str, ...]:
    out: list[str] = []
    for part in parts:
        out.extend(draw(part))
    return tuple(out)


def _output(areas: frozenset[str], suffix: str) -> st.SearchStrategy[str]:
    fresh = [f"@ws/out{suffix}", f"@ws/{TEAM}/out{suffix}"]
    return st.sampled_from(fresh + (list(HOSTILE_OUTPUTS) if "outputs" in areas else []))


def _db_option(areas: frozenset[str]) -> st.SearchStrategy[tuple[str, ...]]:
    if "dbpath" not in areas:
        return st.just(())
    odd = [
        "@ws/" + "d" * 300 + ".db",
        "@ws/new.db",
        "@ws/existing.txt",
        "@ws/other.sqlite",
        "@ws",
        "~kcnosuchuser/x.db",
        "@ws/missing/dir/x.db",
    ]
    return _mostly(st.just(()), st.sampled_from(odd).map(lambda p: ("--db", p)), per_ten=7)


def _jsonl_line() -> st.SearchStrategy[str]:
    plain = st.text(max_size=60).map(lambda t: f'{{"id": 1, "text": {_json_str(t)}}}')
    return st.one_of(
        plain,
        st.sampled_from(
            [
                '{"id": "a", "text": "Budget validé par le DAF."}',
                '{"id": "b", "text": "No champion yet.", "lang": "en"}',
                '{"text": "abc \\ud800 def"}',
                '{"id": "\\udc80", "text": "x"}',
                '{"id": NaN, "text": "x"}',
                '{"id": 1e400, "text": "x"}',
                '{"id": 1, "text": "x", "lang": "de"}',
                '{"id": 1, "text": 5}',
                "[1, 2]",
                "{not json",
                '{"text": "x", "deep": ' + "[" * 3000 + "]" * 3000 + "}",
                "[" * 100000,
                "",
            ]
        ),
        st.text(max_size=40),
    )


def _json_str(text: str) -> str:
    return json.dumps(text)


def _note_bytes() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=200),
        st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.sampled_from(
            [
                "Budget de 120 k€ validé par le DAF.".encode(),
                b"\xef\xbb\xbfNo budget yet.",
                "é".encode("latin-1") * 10,
                b"",
            ]
        ),
    )


CSV_HEADERS = {
    name: (Path(__file__).parent / "data" / "crm" / name).read_text("utf-8").splitlines()[0]
    for name in (
        "salesforce_opportunities_en.csv",
        "hubspot_notes_en.csv",
        "pipedrive_deals_en.csv",
    )
}
CSV_CELLS = [
    "",
    "Acme",
    "Proposal/Price Quote",
    "Closed Won",
    "open",
    "120000",
    "$120,000.00",
    "-5",
    "9" * 400,
    "1e309",
    "NaN",
    "12/15/2026",
    "2026-12-15",
    "31/12/9999",
    "0001-01-01",
    "EUR",
    "=1+1",
    '"quoted, cell"',
]


@st.composite
def _csv_bytes(draw: st.DrawFn, areas: frozenset[str]) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    header = draw(st.sampled_from(sorted(CSV_HEADERS.values())))
    width = header.count(",") + 1
    cell = st.one_of(
        st.sampled_from(CSV_CELLS), _text(areas, 20).map(lambda t: t.replace("\n", " "))
    )
    rows = draw(
        st.lists(
            st.lists(cell, min_size=max(0, width - 2), max_size=width + 1),
            max_size=4,
        )
    )
    body = "\n".join(",".join(row) for row in rows)
    return (header + "\n" + body + "\n").encode("utf-8", "surrogatepass")


@st.composite
def _mutated(draw: st.DrawFn, source: Path) -> bytes:
    """A bundled TOML file with a few random edits: almost valid is where validators slip."""
    data = bytearray(source.read_bytes())
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        chunk = draw(
            st.one_of(
                st.binary(min_size=1, max_size=6),
                st.sampled_from(
                    [b"\xff", b"[", b"]", b'"', b"=", b"\n", b"-1", b"1e999", b"[[x]]\n"]
                ),
            )
        )
        if kind == "delete":
            del data[at : at + len(chunk)]
        elif kind == "replace":
            data[at : at + len(chunk)] = chunk
        else:
            data[at:at] = chunk
    return bytes(data)


def _team_files() -> st.SearchStrategy[tuple[tuple[str, bytes], ...]]:
    bundled = playbooks_dir()
    deep = b"a = " + b"[" * 3000 + b"]" * 3000 + b"\n"
    content = st.one_of(
        st.sampled_from([b"\xff\xfe\x00x", deep, b"", b"x = 1\n", b'x = "\\ud800"\n']),
        st.binary(max_size=80),
    )
    one = st.one_of(
        st.tuples(
            st.just(f"{TEAM}/flags.toml"), st.one_of(content, _mutated(bundled / "flags.toml"))
        ),
        st.tuples(
            st.just(f"{TEAM}/playbooks/team.toml"),
            st.one_of(content, _mutated(bundled / "bant.toml")),
        ),
        st.tuples(
            st.just(f"{TEAM}/playbooks/language/fr.toml"),
            st.one_of(content, _mutated(bundled / "language" / "fr.toml")),
        ),
    )
    return st.one_of(st.just(()), st.lists(one, max_size=2).map(tuple))


@st.composite
def _env(draw: st.DrawFn, areas: frozenset[str]) -> tuple[tuple[str, str], ...]:
    today = draw(
        _mostly(
            st.just(PINNED_TODAY),
            st.one_of(
                st.sampled_from(ODD_DATES),
                st.dates().map(lambda d: d.isoformat()),
                _text(areas, 12).filter(bool),
            ),
        )
    )
    env = [("KAMCOACH_TODAY", today)]
    if "dbpath" in areas and draw(st.integers(0, 9)) == 0:
        env.append(
            (
                "KAMCOACH_DB",
                draw(st.sampled_from(["~kcnosuchuser/x.db", "@ws", "@ws/" + "e" * 300])),
            )
        )
    return tuple(env)


@st.composite
def _call(draw: st.DrawFn, areas: frozenset[str]) -> tuple[Call, tuple[tuple[str, bytes], ...]]:
    """One invocation and the files it reads."""
    fmt = lambda valid: _opt("--format", _choice(valid, areas))  # noqa: E731
    files: list[tuple[str, bytes]] = []
    stdin: bytes | None = None
    command = draw(st.sampled_from(COMMANDS))
    args: tuple[str, ...]
    if command == "deals list":
        args = draw(
            _options(
                _opt("--owner", _text(areas)),
                _opt("--stage", _choice(STAGES, areas)),
                _flag("--open"),
                fmt(["table", "json", "jsonl", "csv", "md"]),
            )
        )
    elif command == "deals show":
        args = (draw(_deal_ref(areas)), *draw(fmt(["table", "json"])))
    elif command == "deals analyze":
        target = draw(st.one_of(_deal_ref(areas).map(lambda d: (d,)), st.just(("--all",))))
        args = (*target, *draw(fmt(["table", "json", "jsonl"])))
    elif command == "prep":
        args = (
            draw(_deal_ref(areas)),
            *draw(
                _options(
                    fmt(["table", "md", "json"]),
                    _opt("--lang", _choice(["en", "fr"], areas)),
                    _flag("--no-analyse"),
                    _opt("-o", _output(areas, ".md")),
                )
            ),
        )
    elif command == "pipeline":
        args = draw(
            _options(
                _opt("--owner", _text(areas)),
                _opt("--stage", _choice(STAGES, areas)),
                _opt("--flag", _choice(["stale", "no_champion", "overdue", "red_flag"], areas)),
                _opt("--limit", st.one_of(st.integers(-5, 10**20).map(str), _text(areas, 5))),
                fmt(["table", "json", "csv", "md", "html"]),
                _opt("-o", _output(areas, ".out")),
            )
        )
    elif command == "coach":
        args = draw(
            _options(
                _opt("--owner", _text(areas)),
                _opt("--lang", _choice(["auto", "en", "fr"], areas)),
                fmt(["table", "json", "md", "html"]),
                _opt("-o", _output(areas, ".out")),
            )
        )
    elif command == "analyze":
        kind = draw(st.sampled_from(["stdin", "text", "jsonl"]))
        if kind == "stdin":
            source, stdin = "-", draw(_note_bytes())
        elif kind == "text":
            source = "@ws/note.txt"
            files.append(("note.txt", draw(_note_bytes())))
        else:
            source = "@ws/notes.jsonl"
            lines = draw(st.lists(_jsonl_line(), min_size=1, max_size=5))
            files.append(("notes.jsonl", "\n".join(lines).encode("utf-8", "surrogatepass")))
        args = (
            source,
            *draw(
                _options(
                    _opt("--lang", _choice(["auto", "fr", "en"], areas)),
                    _opt("--playbook", _choice(["meddic", "bant", "meddpicc", "team"], areas)),
                    fmt(["table", "json", "jsonl"]),
                    # 2..64 would start worker processes: the long run stays in-process.
                    _opt("--workers", st.sampled_from(["1", "0", "65", "-1", "x", "9" * 30])),
                )
            ),
        )
    elif command == "import":
        files.append(("input.csv", draw(_csv_bytes(areas))))
        args = (
            "@ws/input.csv",
            *draw(
                _options(
                    _opt("--kind", _choice(["auto", "opportunities", "notes"], areas)),
                    _opt("--date-format", _choice(["dmy", "mdy"], areas)),
                    _opt("--mapping", _choice(["auto", "salesforce", "hubspot"], areas)),
                    _flag("--dry-run"),
                    _flag("--skip-bad-rows"),
                    _opt("--bad-rows", _output(areas, ".csv")),
                )
            ),
        )
    elif command == "export":
        args = (
            draw(_choice(["deals", "reviews", "notes"], areas)),
            *draw(
                _options(
                    fmt(["csv", "jsonl"]),
                    _opt("-o", _output(areas, ".csv")),
                    _flag("--excel"),
                )
            ),
        )
    elif command in ("accounts list", "playbooks list", "reps list"):
        args = draw(fmt(["table", "json", "jsonl", "csv", "md"]))
    elif command in ("review", "deals history", "notes list"):
        args = (draw(_deal_ref(areas)), *draw(fmt(["table", "json"])))
    elif command == "contacts list":
        args = draw(
            _options(
                _opt("--deal", _deal_ref(areas)),
                _opt("--account", _choice(["Acme", "1", "Nope"], areas)),
                fmt(["table", "json", "csv"]),
            )
        )
    elif command == "proposals list":
        args = (
            *draw(st.one_of(st.just(()), _deal_ref(areas).map(lambda d: (d,)))),
            *draw(
                _options(
                    _opt("--status", _choice(["open", "accepted", "dismissed", "all"], areas)),
                    fmt(["table", "json"]),
                )
            ),
        )
    elif command in ("contacts show", "reps show"):
        args = (draw(_mostly(st.sampled_from(["1", "2", "Alice", "Bob"]), _text(areas, 20))),)
    elif command == "playbooks show":
        args = (
            draw(_choice(["meddic", "bant", "team", "natural_selling"], areas)),
            *draw(_opt("--lang", _choice(["en", "fr"], areas))),
        )
    elif command == "playbooks check":
        args = tuple(
            draw(
                st.lists(st.sampled_from([f"@ws/{TEAM}/playbooks", "@ws", "@ws/nope"]), max_size=2)
            )
        )
    else:
        args = ()
    call = Call(
        args=(*command.split(), *args, *draw(_db_option(areas))),
        env=draw(_env(areas)),
        stdin=stdin,
    )
    return call, tuple(files)


@st.composite
def cases(draw: st.DrawFn, areas: frozenset[str] = frozenset({"core"})) -> Case:
    """A :class:`Case` drawing only from the given areas."""
    files: list[tuple[str, bytes]] = list(draw(_team_files()))
    calls = []
    for _ in range(draw(st.integers(1, 3))):
        call, needed = draw(_call(areas))
        calls.append(call)
        files.extend(needed)
    if "outputs" in areas:
        files.append(("existing.txt", b"keep me\n"))
    names: tuple[str, ...] = ()
    if "names" in areas and draw(st.booleans()):
        stored = _text(areas, 30).filter(lambda n: n.strip() and is_utf8(n))  # SQLite needs UTF-8
        name = st.one_of(st.sampled_from(HOSTILE_NAMES), stored)
        names = tuple(draw(st.lists(name, min_size=1, max_size=2)))
    return Case(calls=tuple(calls), files=tuple(files), names=names)
