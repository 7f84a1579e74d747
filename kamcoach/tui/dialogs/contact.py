"""Form to add or edit a contact, and whether (and as what) they sit on the deal.

The dialog stores through a ``save`` function in a thread worker and closes
only once the contact is stored. A refused value (an unknown date, a manager
who would close a reporting cycle) is shown on the form's error line and
nothing is written. A possible duplicate is shown the same way; pressing
ctrl+s again with the same values saves it anyway (the CLI's ``--force``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from kamcoach.domain.stages import BUYING_ROLES, INFLUENCE, STANCES
from kamcoach.errors import InputError
from kamcoach.records.contacts import DuplicateContactError
from kamcoach.storage.tx import write_error_message
from kamcoach.textsafe import plain


@dataclass(frozen=True, slots=True)
class ContactForm:
    """What the form holds; checked by :mod:`kamcoach.records.contacts` when saved."""

    name: str = ""
    title: str = ""
    email: str = ""
    buying_role: str = "unknown"
    stance: str | None = None
    influence: str | None = None
    reports_to_id: int | None = None
    last_contact_at: str = ""
    link: bool = True
    """Put the contact on this deal."""
    deal_role: str | None = None
    """Their role on this deal when it differs; None: as their buying role."""

    def values(self) -> dict[str, Any]:
        """The contact's own values, as ``add_contact`` and ``edit_contact`` take them."""
        return {
            "title": self.title,
            "email": self.email,
            "buying_role": self.buying_role,
            "stance": self.stance,
            "influence": self.influence,
            "reports_to": self.reports_to_id,
            "last_contact_at": self.last_contact_at,
        }


def _label(value: str) -> str:
    return value.replace("_", " ")


class ContactDialog(ModalScreen[ContactForm | None]):
    """Returns the saved form, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save contact", id="contact.save"),
        Binding("escape", "cancel", "Cancel", id="contact.cancel"),
    ]

    def __init__(
        self,
        heading: str,
        *,
        deal_name: str,
        managers: Sequence[tuple[int, str]],
        initial: ContactForm | None = None,
        save: Callable[[ContactForm, bool], object] | None = None,
    ) -> None:
        super().__init__()
        self.heading = heading
        self.deal_name = deal_name
        self.managers = list(managers)
        """(id, name) of the account's other contacts: who this one may report to."""
        self.initial = initial or ContactForm()
        self.save = save
        """Stores the form (the bool: save a possible duplicate anyway); raises when refused."""
        self.saving = False
        self.error: str | None = None
        """Why the last save failed (shown on the form), None when it did not."""
        self.duplicate: ContactForm | None = None
        """The form refused as a possible duplicate: saving it unchanged forces it."""

    def compose(self) -> ComposeResult:
        start = self.initial
        # Scrolls on a short terminal: the buttons stay reachable under a long error.
        with VerticalScroll(classes="dialog", id="contact-form"):
            yield Label(Content.assemble((self.heading, "bold")))
            yield from self._row("Name", Input(start.name, id="c-name", compact=True))
            yield from self._row("Title", Input(start.title, id="c-title", compact=True))
            yield from self._row("E-mail", Input(start.email, id="c-email", compact=True))
            yield from self._row(
                "Buying role",
                Select(
                    [(_label(r), r) for r in BUYING_ROLES],
                    value=start.buying_role,
                    allow_blank=False,
                    id="c-role",
                    compact=True,
                ),
            )
            yield from self._row(
                "Stance",
                Select(
                    [(s, s) for s in STANCES],
                    value=start.stance or Select.NULL,
                    prompt="not known",
                    id="c-stance",
                    compact=True,
                ),
            )
            yield from self._row(
                "Influence",
                Select(
                    [(i, i) for i in INFLUENCE],
                    value=start.influence or Select.NULL,
                    prompt="not known",
                    id="c-influence",
                    compact=True,
                ),
            )
            known = {i for i, _ in self.managers}
            yield from self._row(
                "Reports to",
                Select(
                    [(plain(name), i) for i, name in self.managers],
                    value=start.reports_to_id if start.reports_to_id in known else Select.NULL,
                    prompt="nobody / not known",
                    id="c-reports",
                    compact=True,
                ),
            )
            yield from self._row(
                "Last contact",
                Input(start.last_contact_at, placeholder="YYYY-MM-DD", id="c-last", compact=True),
            )
            yield Checkbox(
                Content.assemble("On deal ", (self.deal_name, "bold")),
                start.link,
                id="c-link",
                compact=True,
            )
            yield from self._row(
                "Role on deal",
                Select(
                    [(_label(r), r) for r in BUYING_ROLES if r != "unknown"],
                    value=start.deal_role or Select.NULL,
                    prompt="as their buying role",
                    id="c-deal-role",
                    compact=True,
                ),
            )
            yield Static("", id="contact-error")
            with Horizontal(classes="buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    @staticmethod
    def _row(label: str, widget: Input | Select[Any]) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Label(label, classes="form-label")
            yield widget

    def on_mount(self) -> None:
        self.query_one("#c-name", Input).focus()

    def _choice(self, selector: str) -> Any:
        select: Select[Any] = self.query_one(selector, Select)
        return None if select.is_blank() else select.value

    def form(self) -> ContactForm:
        return ContactForm(
            name=self.query_one("#c-name", Input).value,
            title=self.query_one("#c-title", Input).value,
            email=self.query_one("#c-email", Input).value,
            buying_role=self._choice("#c-role") or "unknown",
            stance=self._choice("#c-stance"),
            influence=self._choice("#c-influence"),
            reports_to_id=self._choice("#c-reports"),
            last_contact_at=self.query_one("#c-last", Input).value,
            link=self.query_one("#c-link", Checkbox).value,
            deal_role=self._choice("#c-deal-role"),
        )

    def action_save(self) -> None:
        if self.saving:
            return
        form = self.form()
        if not form.link:
            form = replace(form, deal_role=None)  # no deal, no role on it
        if self.save is None:
            self.dismiss(form)
            return
        force = self.duplicate is not None and self.duplicate == form
        self.saving = True
        self.query_one("#contact-error", Static).update(Text("Saving…"))
        self.store(form, force)

    @work(thread=True, exclusive=True, group="contact-save")
    def store(self, form: ContactForm, force: bool) -> None:
        assert self.save is not None
        try:
            self.save(form, force)
        except InputError as exc:  # a refused value: said on the form, nothing written
            duplicate = isinstance(exc, DuplicateContactError)
            self.app.call_from_thread(self._failed, str(exc), form if duplicate else None)
            return
        except Exception as exc:  # busy or read-only database: said the same way
            self.app.call_from_thread(self._failed, write_error_message(exc), None)
            return
        self.app.call_from_thread(self._stored, form)

    def _stored(self, form: ContactForm) -> None:
        self.saving = False
        self.error = None
        self.dismiss(form)

    def _failed(self, why: str, duplicate: ContactForm | None) -> None:
        self.saving = False
        self.error = why
        self.duplicate = duplicate
        hint = "ctrl+s again to save anyway" if duplicate else "nothing was saved"
        self.query_one("#contact-error", Static).update(Text(f"Not saved: {why}; {hint}."))

    def action_cancel(self) -> None:
        if not self.saving:
            self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()
