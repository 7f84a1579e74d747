"""The people at a deal's account: their role on this deal, stance, influence, on it or not.

Opened with ``k`` from the deal screen. ``a`` adds a contact, ``e`` (or enter)
edits one, ``l`` puts the highlighted contact on the deal or takes them off.
Every write goes through :mod:`kamcoach.records.contacts`, as the CLI's
``kamcoach contacts`` does, in a thread worker under the app's database lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual.widgets.data_table import ColumnKey

from kamcoach.domain.stages import INFLUENCE, STANCES
from kamcoach.records import contacts as records
from kamcoach.storage import repo
from kamcoach.storage.tx import write_error_message, write_transaction
from kamcoach.textsafe import cell
from kamcoach.tui.dialogs.contact import ContactDialog, ContactForm
from kamcoach.tui.widgets.tables import SearchInput, SortState, arrange, fit

if TYPE_CHECKING:
    from kamcoach.tui.app import KamcoachApp

STANCE_STYLE = {
    "advocate": "bold green",
    "supporter": "green",
    "neutral": "",
    "sceptic": "yellow",
    "opponent": "bold red",
}
SORT_LABELS = {
    "on": "on the deal",
    "name": "name",
    "title": "title",
    "role": "role",
    "stance": "stance",
    "influence": "influence",
    "reports_to": "reports to",
}


def sort_value(row: dict[str, Any], column: str) -> object:
    """A contact's value in a column: stance and influence in their own order, not A-Z."""
    if column == "on":
        return 0 if row["linked"] else 1
    if column == "stance":
        return STANCES.index(row["stance"]) if row["stance"] in STANCES else None
    if column == "influence":
        return INFLUENCE.index(row["influence"]) if row["influence"] in INFLUENCE else None
    return row[column]


class ContactsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="contacts.back"),
        Binding("a", "add", "Add", id="contacts.add", tooltip="Add a contact"),
        Binding("e", "edit", "Edit", id="contacts.edit", tooltip="Edit the contact"),
        Binding("l", "toggle_link", "Link", id="contacts.link", tooltip="On / off this deal"),
        Binding("slash", "search", "Search", id="contacts.search", tooltip="Name, title, role"),
        Binding("s", "sort", "Sort", id="contacts.sort", tooltip="Cycle the sort column"),
        Binding("S", "reverse_sort", "Reverse", id="contacts.reverse", show=False),
    ]

    def __init__(self, deal_id: int) -> None:
        super().__init__()
        self.deal_id = deal_id
        self.deal: dict[str, Any] | None = None
        self.rows: list[dict[str, Any]] = []
        """The account's contacts (and any on the deal from elsewhere), as the table shows them."""
        self.all_rows: list[dict[str, Any]] = []
        """Every one of them, whatever the search."""
        self.sort = SortState()
        self.search = ""

    @property
    def kapp(self) -> KamcoachApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="contacts-head")
        yield SearchInput("#contacts-table", id="contacts-search")
        yield DataTable(id="contacts-table", cursor_type="row")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table: DataTable[Any] = self.query_one("#contacts-table", DataTable)
        table.add_column("On", key="on", width=2)
        table.add_column("Name", key="name", width=20)
        table.add_column("Title", key="title", width=16)
        table.add_column("Role here", key="role", width=16)
        table.add_column("Stance", key="stance", width=9)
        table.add_column("Infl.", key="influence", width=6)
        table.add_column("Reports to", key="reports_to", width=14)
        self._fit_columns(self.app.size.width)
        table.loading = True
        table.focus()
        self.reload()

    def on_resize(self, event: events.Resize) -> None:
        self._fit_columns(event.size.width)

    def _fit_columns(self, width: int) -> None:
        """Text columns share the width left by the short ones: every column fits 80 columns."""
        table: DataTable[Any] = self.query_one("#contacts-table", DataTable)
        free = max(40, width - 2 - 2 * table.cell_padding * len(table.columns) - (2 + 9 + 6))
        shares = {"name": 5, "title": 4, "role": 4, "reports_to": 3}
        for key, share in shares.items():
            column = table.columns.get(ColumnKey(key))
            if column is not None:
                column.width = free * share // sum(shares.values())
        table.refresh(layout=True)

    # ------------------------------------------------------------ loading

    @work(thread=True, exclusive=True, group="contacts-load")
    def reload(self) -> None:
        try:
            with self.kapp.db_lock:
                deal = repo.get_deal(self.kapp.db, self.deal_id)
                rows = records.list_contacts(
                    self.kapp.db, account=deal["account_id"], deal=self.deal_id
                )
        except Exception as exc:
            self.app.call_from_thread(self._failed, "loading the contacts", str(exc))
            return
        self.app.call_from_thread(self._show, deal, rows)

    def _failed(self, what: str, why: str) -> None:
        self.query_one("#contacts-table", DataTable).loading = False
        self.notify(f"{what} failed: {why}", severity="error", markup=False)

    def _show(self, deal: dict[str, Any], rows: list[dict[str, Any]]) -> None:
        self.deal, self.all_rows = deal, rows
        self._fill()

    def _fill(self) -> None:
        """Head line and table from ``all_rows``: searched and sorted."""
        deal, everyone = self.deal, self.all_rows
        assert deal is not None
        rows = self.rows = arrange(
            everyone,
            self.search,
            lambda r: (r["name"], r["title"], r["role"], r["reports_to"]),
            self.sort,
            sort_value,
        )
        head = Text()
        head.append(f"Contacts at {deal['account']}", style="bold")
        head.append(f" · deal #{deal['id']} {deal['name']}")
        linked = sum(1 for r in everyone if r["linked"])
        head.append(f" · {linked} on the deal, {len(everyone)} at the account", style="dim")
        if self.search.strip():
            head.append(f" · {len(rows)} of {len(everyone)} shown", style="bold")
        if self.sort.column:
            head.append(f" · sort: {self.sort.describe(SORT_LABELS[self.sort.column])}")
        head.append(" · role*: on this deal only", style="dim")
        self.query_one("#contacts-head", Static).update(head)
        table: DataTable[Any] = self.query_one("#contacts-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        for r in rows:
            role = Text(str(r["role"]).replace("_", " "))
            if r["linked"] and r["deal_role"] is not None:
                role.append(" *", style="cyan")  # differs from their buying role
            table.add_row(
                cell("✓", "green") if r["linked"] else cell(""),
                cell(r["name"], "strike" if r["left_company"] else ""),
                cell(r["title"]),
                fit(role),
                cell(r["stance"], STANCE_STYLE.get(r["stance"] or "", "")),
                cell(r["influence"]),
                cell(r["reports_to"]),
                key=str(r["id"]),
            )
        table.loading = False
        if rows:
            table.move_cursor(row=min(max(cursor, 0), len(rows) - 1))

    def selected(self) -> dict[str, Any] | None:
        table: DataTable[Any] = self.query_one("#contacts-table", DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    # ------------------------------------------------------------ search and sort

    @on(DataTable.HeaderSelected, "#contacts-table")
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort.click(str(event.column_key.value))
        if self.deal is not None:
            self._fill()

    def action_sort(self) -> None:
        self.sort.cycle(list(SORT_LABELS))
        if self.deal is not None:
            self._fill()

    def action_reverse_sort(self) -> None:
        if self.sort.column is None:
            self.sort.column = "name"
        self.sort.reverse = not self.sort.reverse
        if self.deal is not None:
            self._fill()

    def action_search(self) -> None:
        self.query_one("#contacts-search", SearchInput).open()

    @on(SearchInput.Changed, "#contacts-search")
    def _search_changed(self, event: SearchInput.Changed) -> None:
        event.stop()
        self.search = event.value
        if self.deal is not None:
            self._fill()
            self.query_one("#contacts-table", DataTable).move_cursor(row=0)

    # ------------------------------------------------------------ actions

    def action_back(self) -> None:
        search = self.query_one("#contacts-search", SearchInput)
        if search.value:  # a filtered list: escape clears the search first
            search.action_close()
            return
        self.app.pop_screen()  # the deal screen reloads on resume

    def _managers(self, row: dict[str, Any] | None = None) -> list[tuple[int, str]]:
        """Who the contact (``row``; None: a new one at the deal's account) may report to.

        Their current manager is always offered, so saving the form never drops it.
        """
        assert self.deal is not None
        account_id = row["account_id"] if row else self.deal["account_id"]
        out = [
            (r["id"], r["name"])
            for r in self.all_rows
            if r["account_id"] == account_id and (row is None or r["id"] != row["id"])
        ]
        if row and row["reports_to_id"] is not None and row["reports_to_id"] not in dict(out):
            out.append((row["reports_to_id"], row["reports_to"] or f"#{row['reports_to_id']}"))
        return out

    def action_add(self) -> None:
        if self.deal is None:
            return
        self.app.push_screen(
            ContactDialog(
                f"New contact at {self.deal['account']}",
                deal_name=self.deal["name"],
                managers=self._managers(),
                save=lambda form, force: self.store(None, False, form, force),
            ),
            self._saved,
        )

    @on(DataTable.RowSelected, "#contacts-table")
    def _row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_edit()

    def action_edit(self) -> None:
        row = self.selected()
        if self.deal is None or row is None:
            return
        initial = ContactForm(
            name=row["name"],
            title=row["title"] or "",
            email=row["email"] or "",
            buying_role=row["buying_role"],
            stance=row["stance"],
            influence=row["influence"],
            reports_to_id=row["reports_to_id"],
            last_contact_at=row["last_contact_at"] or "",
            link=row["linked"],
            deal_role=row["deal_role"],
        )
        self.app.push_screen(
            ContactDialog(
                f"Edit {row['name']}",
                deal_name=self.deal["name"],
                managers=self._managers(row),
                initial=initial,
                save=lambda form, force: self.store(row["id"], row["linked"], form, force),
            ),
            self._saved,
        )

    def store(
        self, contact_id: int | None, was_linked: bool, form: ContactForm, force: bool
    ) -> None:
        """Runs in the dialog's worker: the contact and its link to the deal, in one transaction."""
        assert self.deal is not None
        db = self.kapp.db
        with self.kapp.db_lock, write_transaction(db):
            if contact_id is None:
                records.add_contact(
                    db,
                    self.deal["account_id"],
                    form.name,
                    **form.values(),
                    deal=self.deal_id if form.link else None,
                    deal_role=form.deal_role,
                    force=force,
                )
                return
            records.edit_contact(db, contact_id, {"name": form.name, **form.values()}, force=force)
            if form.link:
                records.link_contact(
                    db, self.deal_id, contact_id, role=form.deal_role, engaged=None
                )
            elif was_linked:
                records.unlink_contact(db, self.deal_id, contact_id)

    def _saved(self, form: ContactForm | None) -> None:
        if form is not None:  # already stored by the dialog
            self.notify(f"Saved {form.name.strip()}", markup=False)
            self.reload()

    def action_toggle_link(self) -> None:
        row = self.selected()
        if row is not None:
            self.toggle_link(row["id"], row["linked"], row["name"])

    @work(thread=True, exclusive=True, group="contacts-link")
    def toggle_link(self, contact_id: int, linked: bool, name: str) -> None:
        try:
            with self.kapp.db_lock:
                if linked:
                    records.unlink_contact(self.kapp.db, self.deal_id, contact_id)
                else:
                    records.link_contact(self.kapp.db, self.deal_id, contact_id)
        except Exception as exc:
            self.app.call_from_thread(
                self._failed, f"changing {name} on the deal", write_error_message(exc)
            )
            return
        done = f"{name} taken off the deal" if linked else f"{name} put on the deal"
        self.app.call_from_thread(self.notify, done, markup=False)
        self.app.call_from_thread(self.reload)
