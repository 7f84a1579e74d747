"""The deal form: create a deal (pipeline, key n) or edit one (deal screen, key e).

The form collects text; :mod:`kamcoach.records.deals` checks and writes it,
the same functions ``kamcoach deals add`` and ``deals edit`` call. Given a
``save`` function, the form stores the deal itself (in a thread worker) and
closes only once it is stored; a bad value or a refused write keeps the form
open with what was typed and the reason on an error line: nothing is saved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from kamcoach.domain.stages import CLOSED_STAGES, DEAL_TYPES, OPEN_STAGES
from kamcoach.errors import InputError, NotFoundError
from kamcoach.storage.tx import write_error_message
from kamcoach.textsafe import plain

if TYPE_CHECKING:
    from kamcoach.tui.app import KamcoachApp


@dataclass(frozen=True, slots=True)
class DealFormValues:
    """What the form holds, as typed (checked by the core on save)."""

    account: str = ""
    new_account: bool = False
    name: str = ""
    amount: str = ""
    currency: str = "EUR"
    stage: str = "discovery"
    close_date: str = ""
    owner: str = ""
    type: str = "new"
    playbook: str = ""
    reason: str = ""


#: The fields an edit compares with the deal as it was (account is not edited here).
EDIT_FIELDS = ("name", "amount", "currency", "stage", "close_date", "owner", "type", "playbook")


class DealForm(ModalScreen[int | None]):
    """Returns the id of the deal created or edited (stored), or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save deal", id="deal_form.save"),
        Binding("escape", "cancel", "Cancel", id="deal_form.cancel"),
    ]

    # Its own frame rather than the app's ``.dialog``, whose input margins would push
    # the compact inputs out of their titled boxes.
    DEFAULT_CSS = """
    DealForm #deal-form {
        width: 80%;
        max-width: 90;
        height: auto;
        max-height: 95%;
        padding: 0 2;
        border: thick $primary;
        background: $surface;
    }
    DealForm #deal-form .buttons {
        height: auto;
    }
    DealForm #deal-form .buttons Button {
        margin-right: 2;
    }
    DealForm .field {
        height: 3;
        width: 1fr;
        border: round $panel-lighten-2;
        padding: 0 1;
    }
    DealForm .field:focus-within {
        border: round $accent;
    }
    DealForm .field Input, DealForm .field Select {
        margin: 0;
        width: 1fr;
    }
    DealForm .row {
        height: auto;
    }
    DealForm #new-account {
        width: auto;
        margin-top: 1;
    }
    DealForm #deal-form-error {
        color: $error;
        height: auto;
    }
    """

    def __init__(
        self,
        title: str,
        initial: DealFormValues,
        *,
        playbooks: list[tuple[str, str]],
        save: Callable[[DealFormValues], int] | None = None,
        accounts: Callable[[], list[str]] | None = None,
        editing: bool = False,
    ) -> None:
        super().__init__()
        self.form_title = title
        self.initial = initial
        self.playbooks = playbooks
        """(label, id) of every loaded playbook."""
        self.save = save
        """Stores the deal and returns its id; runs in a thread worker, raises when refused."""
        self.accounts = accounts
        """Account names for the suggestions (read in a worker); None when editing."""
        self.editing = editing
        self.saving = False
        self.error: str | None = None
        """Why the last save failed (shown in the form), None when it did not."""

    # ------------------------------------------------------------ layout

    def _field(self, label: str, widget: Any) -> Vertical:
        box = Vertical(widget, classes="field")
        box.border_title = label
        return box

    def compose(self) -> ComposeResult:
        v = self.initial
        stages = list(OPEN_STAGES)
        if v.stage in CLOSED_STAGES:
            stages.append(v.stage)  # shown as it is; moving to an open stage reopens the deal
        with VerticalScroll(id="deal-form"):
            yield Label(Content.assemble((self.form_title, "bold")))
            if not self.editing:
                with Horizontal(classes="row"):
                    yield self._field("Account", Input(v.account, id="account", compact=True))
                    yield Checkbox("New account", v.new_account, id="new-account", compact=True)
            yield self._field("Deal name", Input(v.name, id="name", compact=True))
            with Horizontal(classes="row"):
                yield self._field("Amount", Input(v.amount, id="amount", compact=True))
                yield self._field("Currency", Input(v.currency, id="currency", compact=True))
                yield self._field(
                    "Close date (YYYY-MM-DD)", Input(v.close_date, id="close_date", compact=True)
                )
            with Horizontal(classes="row"):
                yield self._field(
                    "Stage",
                    Select(
                        [(s.replace("_", " "), s) for s in stages],
                        value=v.stage,
                        allow_blank=False,
                        id="stage",
                        compact=True,
                    ),
                )
                yield self._field(
                    "Type",
                    Select(
                        [(t, t) for t in DEAL_TYPES],
                        value=v.type,
                        allow_blank=False,
                        id="type",
                        compact=True,
                    ),
                )
            with Horizontal(classes="row"):
                yield self._field("Owner", Input(v.owner, id="owner", compact=True))
                yield self._field(
                    "Playbook",
                    Select(
                        [(plain(label), pid) for label, pid in self.playbooks],
                        value=v.playbook if v.playbook else Select.NULL,
                        allow_blank=not v.playbook,
                        id="playbook",
                        compact=True,
                    ),
                )
            if self.editing:
                yield self._field(
                    "Reason (kept in the history; needed to reopen)",
                    Input(v.reason, id="reason", compact=True),
                )
            yield Static("", id="deal-form-error")
            with Horizontal(classes="buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#name" if self.editing else "#account", Input).focus()
        if self.accounts is not None:
            self._load_accounts()

    @work(thread=True, exclusive=True, group="deal-form-accounts")
    def _load_accounts(self) -> None:
        assert self.accounts is not None
        try:
            names = self.accounts()
        except Exception:  # suggestions are a help: the form works without them
            return
        self.app.call_from_thread(self._suggest, names)

    def _suggest(self, names: list[str]) -> None:
        self.query_one("#account", Input).suggester = SuggestFromList(names, case_sensitive=False)

    # ------------------------------------------------------------ values

    def values(self) -> DealFormValues:
        """The form as typed."""

        def text(wid: str) -> str:
            found = self.query(f"#{wid}")
            return found.first(Input).value if found else ""

        def choice(wid: str) -> str:
            value = self.query_one(f"#{wid}", Select).value
            return "" if value is Select.NULL or value is None else str(value)

        new = self.query("#new-account")
        return DealFormValues(
            account=text("account"),
            new_account=bool(new and new.first(Checkbox).value),
            name=text("name"),
            amount=text("amount"),
            currency=text("currency"),
            stage=choice("stage"),
            close_date=text("close_date"),
            owner=text("owner"),
            type=choice("type"),
            playbook=choice("playbook"),
            reason=text("reason"),
        )

    # ------------------------------------------------------------ saving

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self.action_save()

    def action_save(self) -> None:
        if self.saving:
            return
        values = self.values()
        if self.save is None:
            self.dismiss(0)
            return
        self.saving = True
        self.query_one("#deal-form-error", Static).update(Text("Saving…"))
        self.store(values)

    @work(thread=True, exclusive=True, group="deal-form-save")
    def store(self, values: DealFormValues) -> None:
        assert self.save is not None
        try:
            deal_id = self.save(values)
        except Exception as exc:  # shown in the form; what was typed stays
            self.app.call_from_thread(self._failed, write_error_message(exc))
            return
        self.app.call_from_thread(self._stored, deal_id)

    def _stored(self, deal_id: int) -> None:
        self.saving = False
        self.error = None
        self.dismiss(deal_id)

    def _failed(self, why: str) -> None:
        self.saving = False
        self.error = why
        self.query_one("#deal-form-error", Static).update(Text(f"Not saved: {why}"))

    def action_cancel(self) -> None:
        if not self.saving:
            self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()


# ---------------------------------------------------------------- the core calls


def playbook_choices(app: KamcoachApp) -> list[tuple[str, str]]:
    """(name, id) of the loaded playbooks, for the form's Select."""
    return [
        (f"{book.name.en} ({pid})", pid) for pid, book in sorted(app.playbooks.playbooks.items())
    ]


def team_default_playbook(app: KamcoachApp) -> str:
    """The team default playbook, or '' when team.toml is broken (the form then asks for one)."""
    from kamcoach.team import load_team_settings

    try:
        return load_team_settings(tuple(app.playbooks.playbooks)).default_playbook
    except Exception:
        return ""


def new_deal_form(app: KamcoachApp) -> DealForm:
    """The empty form of the pipeline's "New deal": owner and playbook from config.toml
    ``[defaults]`` (as ``kamcoach deals add``), else the user and the team default."""
    from kamcoach.preferences import load_preferences

    try:
        prefs = load_preferences()
        owner = prefs.default_owner or prefs.user.name
        playbook = prefs.default_playbook
    except InputError:
        owner, playbook = "", None  # a broken config.toml: the user types them
    if playbook not in app.playbooks.playbooks:
        playbook = team_default_playbook(app)
    return DealForm(
        "New deal",
        DealFormValues(owner=owner, playbook=playbook),
        playbooks=playbook_choices(app),
        save=lambda values: create_from_form(app, values),
        accounts=lambda: account_names(app),
    )


def edit_deal_form(app: KamcoachApp, deal: dict[str, Any]) -> DealForm:
    """The form prefilled with the deal as it is."""
    initial = DealFormValues(
        account=str(deal.get("account") or ""),
        name=str(deal["name"]),
        amount=f"{float(deal['amount'] or 0):.2f}".rstrip("0").rstrip("."),
        currency=str(deal["currency"]),
        stage=str(deal["stage"]),
        close_date=str(deal["close_date"] or ""),
        owner=str(deal["owner"] or ""),
        type=str(deal["type"]),
        playbook=str(deal["playbook"]),
    )
    return DealForm(
        f"Edit #{deal['id']} {deal['name']}",
        initial,
        playbooks=playbook_choices(app),
        save=lambda values: edit_from_form(app, int(deal["id"]), initial, values),
        editing=True,
    )


def account_names(app: KamcoachApp) -> list[str]:
    with app.db_lock:
        rows = app.db.execute("SELECT name FROM accounts ORDER BY name").fetchall()
    return [str(r[0]) for r in rows]


def create_from_form(app: KamcoachApp, values: DealFormValues) -> int:
    """Runs in the form's worker: creates the deal as ``kamcoach deals add`` does."""
    from kamcoach.records.deals import NewDeal, create_deal

    ids = tuple(app.playbooks.playbooks)
    if not values.playbook:
        raise InputError("choose a playbook")
    new = NewDeal(
        account=values.account,
        name=values.name,
        amount=values.amount or 0.0,
        currency=values.currency,
        stage=values.stage,
        close_date=values.close_date or None,
        owner=values.owner,
        type=values.type,
        playbook=values.playbook,
        new_account=values.new_account,
    )
    with app.db_lock:
        try:
            return create_deal(app.db, new, ids, default_playbook=values.playbook)
        except NotFoundError:
            raise InputError(
                f"no account named {values.account.strip()!r}: tick “New account” to create it"
            ) from None


def edit_from_form(
    app: KamcoachApp, deal_id: int, initial: DealFormValues, values: DealFormValues
) -> int:
    """Runs in the form's worker: the fields the user changed, as ``kamcoach deals edit`` does."""
    from kamcoach.records.deals import edit_deal

    before = {f.name: getattr(initial, f.name) for f in fields(DealFormValues)}
    changes = {
        key: getattr(values, key) for key in EDIT_FIELDS if getattr(values, key) != before[key]
    }
    if "close_date" in changes and not changes["close_date"]:
        changes["close_date"] = None
    if changes:
        with app.db_lock:
            edit_deal(
                app.db, deal_id, changes, tuple(app.playbooks.playbooks), reason=values.reason
            )
    return deal_id
