"""One streaming pass over a deals (opportunities) export: resolve, compare, write.

Identity rules, chosen so that re-importing the same file writes nothing:
- a deal is the same when (CRM, CRM id) match, else when (account, name) match;
- the same deal twice in one file is a bad row ("same deal as row N");
- a contact is the same when its normalised name matches within the account;
- an owner is a rep, found without case (or created) once per distinct name
  (:mod:`kamcoach.io.import_reps`); an account takes the rep of its account owner
  column, else, when new, the rep owning most of its deals.

Changes are computed against the deal as it is read in this pass; when the
pass writes, it runs inside the write transaction, so the history's old
values are the values being replaced, even when another import committed in
between (issue 11.7).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from kamcoach.clock import iso_datetime, iso_now
from kamcoach.io.import_accounts import Accounts, person_key
from kamcoach.io.import_index import MAX_PARAMS, TempIndex
from kamcoach.io.import_plan import BadRow, ImportPlan, Row, RowError
from kamcoach.io.import_reps import MajorityReps, RepIndex
from kamcoach.io.import_writer import ImportWriter
from kamcoach.io.mapping import CrmMapping, normalise
from kamcoach.io.values import parse_amount, parse_percent
from kamcoach.records.next_steps import MAX_WHAT_CHARS
from kamcoach.storage.repo import TRACKED_FIELDS, history_row

_DEAL_COLUMNS = (
    "id, account_id, name, stage, amount, currency, close_date, owner, rep_id, type, "
    "playbook, external_id, source, stage_changed_at"
)
_DEAL_KEYS = tuple(c.strip() for c in _DEAL_COLUMNS.split(","))


#: Rows resolved together: their lookups go to SQLite as a few ``IN (...)``
#: queries per chunk instead of several statements per row.
CHUNK_ROWS = 400


def _next_id(db: Database, table: str) -> int:
    return int(db.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").fetchone()[0])


#: Deal names rarely repeat: normalised without the cache (which would only churn).
_normalise_name = normalise.__wrapped__


def _name_key(account_id: int, name: str) -> str:
    return f"n\x1f{account_id}\x1f{_normalise_name(name)}"


@dataclass(slots=True)
class _Parsed:
    """One good row of a chunk, its account resolved, waiting for the chunk's lookups."""

    number: int
    values: dict[str, Any]
    acc_id: int
    ext: str
    ext_key: str
    name_key: str
    contact_key: str


def _chunks(rows: Iterator[Row | BadRow], size: int) -> Iterator[list[Row | BadRow]]:
    chunk: list[Row | BadRow] = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _in_parts(values: list[Any]) -> Iterator[tuple[list[Any], str]]:
    """``values`` in slices small enough for one statement, with their ``?, ?...`` marks."""
    for start in range(0, len(values), MAX_PARAMS):
        part = values[start : start + MAX_PARAMS]
        yield part, ", ".join("?" for _ in part)


def plan_deals(
    db: Database, plan: ImportPlan, rows: Iterator[Row | BadRow], writer: ImportWriter
) -> None:
    """Read every row, count what changes into ``plan`` and hand the writes to ``writer``."""
    deals = _DealPass(db, plan, writer)
    try:
        for chunk in _chunks(rows, CHUNK_ROWS):
            deals.chunk(chunk)
        deals.finish()
    finally:
        deals.close()


class _DealPass:
    """The state of one pass: ids to hand out and the pass's temp-table indexes."""

    def __init__(self, db: Database, plan: ImportPlan, writer: ImportWriter) -> None:
        conn = self.conn = db.conn
        self.plan = plan
        self.writer = writer
        self.crm = plan.crm
        self.source = plan.crm.name
        self.accounts = Accounts(db, self.source)
        self.reader = _DealReader(plan.crm, plan.placed_stages, plan.source.playbooks)
        self.next_account = self.first_new_account = _next_id(db, "accounts")
        self.next_contact = _next_id(db, "contacts")
        self.next_deal = self.first_new_deal = _next_id(db, "opportunities")
        self.now = iso_now()
        self.reps = RepIndex(db, plan, writer, self.now)
        #: accounts whose rep this pass has settled (from an account owner column)
        self.account_reps: dict[int, int | None] = {}
        self.majority = MajorityReps()  # for new accounts without an owner column
        self.merged: set[tuple[str, str]] = set()
        # key -> (deal id, its CRM id, row that created it): "n..." (account, name)
        # for every deal, "x..." the CRM ids of deals this file creates.
        # The names of the deals already stored are loaded at the first row that
        # needs them: re-importing an export whose CRM ids are all known never does.
        self.keys = TempIndex(conn, "kc_import_deal_keys")
        self.names_loaded = False
        self.claimed = TempIndex(conn, "kc_import_claimed")  # existing deal id -> its row
        self.contacts = TempIndex(conn, "kc_import_contacts")  # account + person -> contact
        self.contacts.fill(
            (f"{acc}\x1f{person_key(name)}", cid, None, None)
            for cid, acc, name in conn.execute(
                "SELECT id, account_id, name FROM contacts ORDER BY id"
            )
        )
        # CRM ids are looked up in the database only when it holds deals of this
        # CRM (those this file creates are in ``keys``).
        self.stored_ext = (
            conn.execute(
                "SELECT 1 FROM opportunities WHERE source = ? LIMIT 1", (self.source,)
            ).fetchone()
            is not None
        )

    def _load_names(self) -> None:
        """Name keys of every stored deal (the first deal of a name wins, as ids go)."""
        self.keys.fill(
            (_name_key(acc, name), deal_id, ext, None)
            for deal_id, acc, name, ext in self.conn.execute(
                "SELECT id, account_id, name, external_id FROM opportunities "
                "WHERE id < ? ORDER BY id",
                (self.first_new_deal,),
            )
        )
        self.names_loaded = True

    def finish(self) -> None:
        """New accounts no owner column named take the rep owning most of their deals."""
        for acc_id, rep_id in self.majority.winners().items():
            if self.account_reps.get(acc_id) is None:
                self.writer.update_row("accounts", acc_id, {"rep_id": rep_id})

    def close(self) -> None:
        for index in (self.keys, self.claimed, self.contacts):
            index.drop()

    # ------------------------------------------------------------ one chunk

    def chunk(self, items: list[Row | BadRow]) -> None:
        bad: list[tuple[int, str]] = []
        parsed: list[_Parsed] = []
        for item in items:
            if isinstance(item, BadRow):
                bad.append((item.row, item.reason))
                continue
            try:
                values = self.reader.values(item)
            except RowError as exc:
                bad.append((item.number, str(exc)))
                continue
            acc_id = self._account(
                values.pop("account"), values.pop("account_ext"), values.pop("account_owner")
            )
            ext = values.pop("external_id")
            person = values["contact"]["name"]
            parsed.append(
                _Parsed(
                    number=item.number,
                    values=values,
                    acc_id=acc_id,
                    ext=ext,
                    ext_key="x\x1f" + ext if ext else "",
                    name_key=_name_key(acc_id, values["name"]),
                    contact_key=f"{acc_id}\x1f{person_key(person)}" if person else "",
                )
            )
        if parsed:
            self._resolve(parsed, bad)
        bad.sort()
        for number, reason in bad:
            self.plan.bad_rows.add(number, reason)

    def _account(self, name: str, ext: str, owner: str) -> int:
        accounts = self.accounts
        acc_id = accounts.by_ext.get(ext) if ext else None
        if acc_id is None:
            found = accounts.find(name)
            if found is not None:
                if found[1] != name and (name, found[1]) not in self.merged:
                    self.merged.add((name, found[1]))
                    self.plan.merged_accounts.append((name, found[1]))
                acc_id = found[0]
        if acc_id is not None:
            if owner and self.account_reps.get(acc_id) is None:
                self._account_rep(acc_id, owner)
            return acc_id
        acc_id = self.next_account
        self.next_account += 1
        self.plan.new_accounts += 1
        rep = self.reps.resolve(owner) if owner else None
        # Without an account owner, the majority rule fills it at the end of the pass.
        self.account_reps[acc_id] = rep[0] if rep else None
        self.writer.insert(
            "accounts",
            {
                "id": acc_id,
                "name": name,
                "external_id": ext or None,
                "source": self.source,
                "created_at": self.now,
                "rep_id": rep[0] if rep else None,
            },
        )
        accounts.add(name, acc_id)
        if ext:
            accounts.by_ext[ext] = acc_id
        return acc_id

    def _account_rep(self, acc_id: int, owner: str) -> None:
        """An existing account's rep, from the file's account owner column (first row wins)."""
        rep = self.reps.resolve(owner)
        assert rep is not None
        self.account_reps[acc_id] = rep[0]
        if acc_id >= self.first_new_account:  # created by an earlier row, without an owner
            self.writer.update_row("accounts", acc_id, {"rep_id": rep[0]})
            return
        stored = self.conn.execute("SELECT rep_id FROM accounts WHERE id = ?", (acc_id,)).fetchone()
        if stored is not None and stored[0] != rep[0]:
            self.plan.account_updates += 1
            self.writer.update_row("accounts", acc_id, {"rep_id": rep[0]})

    def _lookups(
        self, parsed: list[_Parsed]
    ) -> tuple[
        dict[str, dict[str, Any]],
        dict[Any, tuple[Any, Any, Any]],
        dict[Any, tuple[Any, Any, Any]],
        dict[int, dict[str, Any]],
        dict[Any, tuple[Any, Any, Any]],
        set[tuple[int, int]],
    ]:
        """Everything the chunk's rows need from SQLite, in a few ``IN (...)`` queries."""
        conn = self.conn
        stored: dict[str, dict[str, Any]] = {}  # CRM id -> deal row
        exts = [p.ext for p in parsed if p.ext]
        if exts and self.stored_ext:
            for part, marks in _in_parts(exts):
                for found in conn.execute(
                    f"SELECT {_DEAL_COLUMNS} FROM opportunities "
                    f"WHERE source = ? AND external_id IN ({marks})",
                    [self.source, *part],
                ):
                    deal = dict(zip(_DEAL_KEYS, found, strict=True))
                    stored[deal["external_id"]] = deal
        # CRM ids and names of the rows the database did not know by CRM id, and
        # the CRM ids of deals this file created and already wrote (for "same as row N").
        unknown = [p for p in parsed if not (p.ext and p.ext in stored)]
        if unknown and not self.names_loaded:
            self._load_names()
        wanted = [p.ext_key for p in unknown if p.ext] + [p.name_key for p in unknown]
        wanted += ["x\x1f" + ext for ext, d in stored.items() if d["id"] >= self.first_new_deal]
        keys = self.keys.get_many(wanted)
        contacts = self.contacts.get_many(p.contact_key for p in parsed if p.contact_key)
        by_name = {hit[0] for hit in keys.values() if hit[0] < self.first_new_deal} - {
            deal["id"] for deal in stored.values()
        }
        deals: dict[int, dict[str, Any]] = {d["id"]: d for d in stored.values()}
        for part, marks in _in_parts(sorted(by_name)):
            for found in conn.execute(
                f"SELECT {_DEAL_COLUMNS} FROM opportunities WHERE id IN ({marks})", part
            ):
                deal = dict(zip(_DEAL_KEYS, found, strict=True))
                deals[deal["id"]] = deal
        existing_ids = sorted(i for i in deals if i < self.first_new_deal)
        claimed = self.claimed.get_many(existing_ids)
        links: set[tuple[int, int]] = set()
        for part, marks in _in_parts(existing_ids):
            links.update(
                conn.execute(
                    "SELECT opportunity_id, contact_id FROM opportunity_contacts "
                    f"WHERE opportunity_id IN ({marks})",
                    part,
                )
            )
        return stored, keys, contacts, deals, claimed, links

    def _resolve(self, parsed: list[_Parsed], bad: list[tuple[int, str]]) -> None:
        stored, keys, contacts, deals, claimed, links = self._lookups(parsed)
        plan, writer, now = self.plan, self.writer, self.now
        # What this chunk adds, seen by its later rows, then saved in one go.
        new_keys: dict[str, tuple[int, Any, int]] = {}
        new_contacts: dict[str, int] = {}
        new_claims: dict[int, int] = {}
        for p in parsed:
            values, ext = p.values, p.ext
            existing: dict[str, Any] | None = None
            deal_id: int | None = None
            origin: int | None = None  # the row that created the deal, when this file did
            if ext:
                existing = stored.get(ext)
                if existing is not None:
                    deal_id = existing["id"]
                    hit = new_keys.get(p.ext_key) or keys.get(p.ext_key)
                    origin = hit[2] if hit else None
                else:
                    hit = new_keys.get(p.ext_key) or keys.get(p.ext_key)
                    if hit is not None:
                        deal_id, origin = hit[0], hit[2]
            if deal_id is None:
                hit = new_keys.get(p.name_key) or keys.get(p.name_key)
                # Same name, but another CRM record: a different deal.
                if hit is not None and not (ext and hit[1] not in (None, ext)):
                    deal_id, origin = hit[0], hit[2]
            if deal_id is not None:
                if deal_id >= self.first_new_deal:  # an earlier row of this file created it
                    bad.append((p.number, _same_deal(origin, values["name"])))
                    continue
                claim = new_claims.get(deal_id) or (claimed.get(deal_id) or (None,))[0]
                if claim is not None:
                    bad.append((p.number, _same_deal(claim, values["name"])))
                    continue
                new_claims[deal_id] = p.number
                existing = deals[deal_id]
            if existing is None:
                deal_id = self._new_deal(p)
                if p.name_key not in keys and p.name_key not in new_keys:
                    new_keys[p.name_key] = (deal_id, ext or None, p.number)
                if ext:
                    new_keys[p.ext_key] = (deal_id, ext, p.number)
                deal_changed = False
            else:
                assert deal_id is not None
                deal_changed = self._update_deal(deal_id, existing, values, ext)
            if values["next_step"]:  # counted apart: the deal itself may be unchanged
                self._next_step(deal_id, values["next_step"], existing is None)
            # -- contact
            wrote_contact = False
            contact = values["contact"]
            if p.contact_key:
                cid = new_contacts.get(p.contact_key)
                if cid is None:
                    found = contacts.get(p.contact_key)
                    cid = None if found is None else found[0]
                if cid is None:
                    cid = self.next_contact
                    self.next_contact += 1
                    new_contacts[p.contact_key] = cid
                    plan.new_contacts += 1
                    writer.insert(
                        "contacts",
                        {
                            "id": cid,
                            "account_id": p.acc_id,
                            "name": contact["name"],
                            "title": contact["title"] or None,
                            "email": contact["email"] or None,
                            "created_at": now,
                        },
                    )
                # A deal appears once per file: only one that existed before can
                # already have the link.
                if (deal_id, cid) not in links:
                    plan.links += 1
                    writer.link(deal_id, cid)
                    wrote_contact = True
            if existing is not None and not deal_changed:
                if wrote_contact:
                    plan.contact_only += 1
                else:
                    plan.unchanged += 1
        self.keys.fill((k, a, b, c) for k, (a, b, c) in new_keys.items())
        self.contacts.fill((k, cid, None, None) for k, cid in new_contacts.items())
        self.claimed.fill((d, number, None, None) for d, number in new_claims.items())

    def _new_deal(self, p: _Parsed) -> int:
        values, crm = p.values, self.crm
        deal_id = self.next_deal
        self.next_deal += 1
        created = values["created_at"] or self.now
        rep = self.reps.resolve(values["owner"])
        if rep is not None and p.acc_id >= self.first_new_account:
            self.majority.add(p.acc_id, rep[0])
        self.plan.new_deals += 1
        if not values["stage_changed_at"]:
            self.plan.stage_age_from_import += 1
        self.writer.insert(
            "opportunities",
            {
                "id": deal_id,
                "account_id": p.acc_id,
                "name": values["name"],
                "amount": values["amount"] if values["amount"] is not None else 0.0,
                "currency": values["currency"] or crm.default_currency,
                "stage": values["stage"],
                "close_date": values["close_date"],
                "owner": rep[1] if rep else "",
                "rep_id": rep[0] if rep else None,
                "type": values["type"] or "new",
                "playbook": values["playbook"] or self.plan.source.default_playbook,
                "created_at": created,
                # The CRM's own date when the export has one; otherwise the stage is
                # counted from this import, not from the deal's creation (a deal created
                # a year ago that reached its stage last week is not stuck), and the
                # import summary says how many deals that is.
                "stage_changed_at": values["stage_changed_at"] or self.now,
                "external_id": p.ext or None,
                "source": self.source,
            },
        )
        return deal_id

    def _next_step(self, deal_id: int, what: str, new_deal: bool) -> None:
        """Record the CRM's "Next Step" cell as the deal's next step when it is a new one.

        The same text as the deal's current step (done or not) is the same step:
        re-importing an export never grows the history. One index seek, only on
        rows whose cell is filled.
        """
        if len(what) > MAX_WHAT_CHARS:
            what = what[: MAX_WHAT_CHARS - 1] + "…"
        if not new_deal:
            current = self.conn.execute(
                "SELECT what FROM next_steps WHERE opportunity_id = ? "
                "ORDER BY set_at DESC, id DESC LIMIT 1",
                (deal_id,),
            ).fetchone()
            if current is not None and " ".join(str(current[0]).split()) == what:
                return
        self.plan.next_steps += 1
        self.writer.insert(
            "next_steps",
            {
                "opportunity_id": deal_id,
                "what": what,
                "set_at": self.now,
                "source": "import",
            },
        )

    def _update_deal(
        self, deal_id: int, existing: dict[str, Any], values: dict[str, Any], ext: str
    ) -> bool:
        """Record the changes to an existing deal; False when there are none."""
        rep = self.reps.resolve(values["owner"])
        changes = _deal_changes(existing, values, ext)
        if rep is not None and rep[0] != existing["rep_id"]:
            # Owners compare as reps: "camille martin" is the stored "Camille Martin".
            changes["owner"], changes["rep_id"] = rep[1], rep[0]
        crm_changed = values["stage_changed_at"]
        if "stage" not in changes and crm_changed and crm_changed != existing["stage_changed_at"]:
            changes["stage_changed_at"] = crm_changed  # the CRM's date beats our first import's
        if not changes:
            return False
        for key in TRACKED_FIELDS:
            if key in changes:
                self.plan.history += 1
                self.writer.insert(
                    "opportunity_history",
                    history_row(
                        deal_id,
                        key,
                        existing[key],
                        changes[key],
                        when=self.now,
                        source=self.source,
                    ),
                )
        if "stage" in changes:
            changes["stage_changed_at"] = values["stage_changed_at"] or self.now
        self.plan.updates += 1
        self.writer.update_deal(deal_id, changes)
        return True


def _same_deal(row: int | None, name: str) -> str:
    return f"same deal as row {row if row is not None else '?'} ({name!r}); kept the first"


_CACHE_MAX = 4096


class _DealReader:
    """Reads one row's deal fields; remembers what repeats (stages, types, dates).

    An export repeats a handful of stage names and a few hundred dates on
    thousands of rows: each is mapped or parsed once per pass (caches are
    cleared past :data:`_CACHE_MAX` entries, so they stay small).
    """

    def __init__(
        self,
        crm: CrmMapping,
        placed: dict[str, tuple[str, float]] | None = None,
        playbooks: dict[str, str] | None = None,
    ) -> None:
        self.crm = crm
        #: CRM stage label -> (stage, probability) for labels placed by their probability
        self.placed = placed if placed is not None else {}
        #: normalised playbook id or name -> playbook id (what a Playbook cell may say)
        self.playbooks = playbooks if playbooks is not None else {}
        self.stages: dict[tuple[str, str, str], str] = {}
        self.types: dict[str, str | None] = {}
        self.days: dict[str, str | None] = {}
        self.moments: dict[str, str | None] = {}

    def values(self, row: Row) -> dict[str, Any]:
        get = row.values.get
        name = row.required("name", "deal name")
        account = row.required("account", "account name")
        status, raw_stage = get("status", ""), get("stage", "")
        # The probability only matters for a label no mapping knows; it is part of
        # the key because two rows may give one unknown label different ones.
        stage_key = (status, raw_stage, get("probability", ""))
        stage = self.stages.get(stage_key)
        if stage is None:
            stage = self._stage(row, status, raw_stage)
            _remember(self.stages, stage_key, stage)
        amount = currency = None
        raw_amount = get("amount", "")
        if raw_amount:
            try:
                parsed = parse_amount(raw_amount)
            except ValueError as exc:
                raise RowError(f"column {row.header('amount')!r}: {exc}") from None
            if parsed is not None:
                amount, currency = parsed
                if amount < 0:
                    raise RowError(
                        f"column {row.header('amount')!r}: amount {raw_amount!r} is negative"
                    )
        raw_currency = get("currency", "").upper()
        if raw_currency:
            if len(raw_currency) != 3 or not raw_currency.isalpha():
                raise RowError(
                    f"column {row.header('currency')!r}: {raw_currency!r} is not a currency code"
                )
            if currency and currency != raw_currency:
                raise RowError(
                    f"amount {raw_amount!r} is in {currency} but column "
                    f"{row.header('currency')!r} says {raw_currency}"
                )
            currency = raw_currency
        raw_close = get("close_date", "")
        close = self.days.get(raw_close, "")
        if close == "":
            moment = row.moment("close_date")
            close = moment.date().isoformat() if moment else None
            _remember(self.days, raw_close, close)
        raw_created = get("created_at", "")
        created = self.moments.get(raw_created, "")
        if created == "":
            moment = row.moment("created_at")
            created = iso_datetime(moment) if moment else None
            _remember(self.moments, raw_created, created)
        raw_changed = get("stage_changed_at", "")
        changed = self.moments.get(raw_changed, "")
        if changed == "":
            moment = row.moment("stage_changed_at")
            changed = iso_datetime(moment) if moment else None
            _remember(self.moments, raw_changed, changed)
        raw_type = get("type", "")
        deal_type = None
        if raw_type:
            deal_type = self.types.get(raw_type, "")
            if deal_type == "":
                deal_type = self.crm.map_type(raw_type)
                _remember(self.types, raw_type, deal_type)
        raw_playbook = get("playbook", "")
        playbook = None
        if raw_playbook:
            playbook = self.playbooks.get(normalise(raw_playbook))
            if playbook is None:
                known = ", ".join(sorted(set(self.playbooks.values())))
                raise RowError(
                    f"column {row.header('playbook')!r}: unknown playbook {raw_playbook!r} "
                    f"(known: {known})"
                )
        return {
            "external_id": get("external_id", ""),
            "name": name,
            "account": account,
            "account_ext": get("account_id", ""),
            "stage": stage,
            "amount": amount,
            "currency": currency,
            "close_date": close,
            "owner": get("owner", ""),
            "account_owner": get("account_owner", ""),
            "type": deal_type,
            "playbook": playbook,
            "created_at": created,
            "next_step": " ".join(get("next_step", "").split()),
            "stage_changed_at": changed,
            "contact": {
                "name": get("contact", ""),
                "title": get("contact_title", ""),
                "email": get("contact_email", ""),
            },
        }

    def _stage(self, row: Row, status: str, raw_stage: str) -> str:
        crm = self.crm
        stage = crm.map_status(status) if status else None
        if stage is not None:
            return stage
        if not raw_stage:
            raise RowError(f"no stage (column {row.header('stage')!r} is empty)")
        try:
            return crm.map_stage(raw_stage)
        except ValueError as exc:
            unknown = str(exc)
        raw_probability = row.values.get("probability", "")
        if not raw_probability:
            raise RowError(unknown)
        try:
            percent = parse_percent(raw_probability)
        except ValueError as exc:
            raise RowError(f"{unknown}; column {row.header('probability')!r}: {exc}") from None
        stage = crm.stage_for_probability(percent)
        self.placed.setdefault(raw_stage, (stage, percent))
        return stage


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= _CACHE_MAX:
        cache.clear()
    cache[key] = value


def _deal_changes(existing: dict[str, Any], values: dict[str, Any], ext: str) -> dict[str, Any]:
    """Fields the export changes; blank cells never erase what kamcoach holds."""
    changes: dict[str, Any] = {}
    if ext and values["name"] != existing["name"]:
        changes["name"] = values["name"]
    if values["stage"] != existing["stage"]:
        changes["stage"] = values["stage"]
    amount = values["amount"]
    if amount is not None and abs(float(existing["amount"] or 0) - amount) >= 0.005:
        changes["amount"] = amount
    for key in ("currency", "close_date", "type", "playbook"):  # the owner: as a rep
        value = values[key]
        if value and value != existing[key]:
            changes[key] = value
    return changes
