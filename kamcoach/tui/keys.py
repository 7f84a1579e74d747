"""Key bindings as data: every kamcoach binding by id, user key overrides, words per language.

Each ``Binding`` in kamcoach has an id ("deal.note"); config.toml ``[keys]``
names those ids to move a key (``"deal.note" = "ctrl+n"``), applied through
Textual's keymap. The footer labels and the help table come from the live
bindings (with the overrides applied) and the language's catalogue, so the
help never drifts from what the keys really do.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode

from kamcoach.errors import InputError
from kamcoach.tui.strings import Strings


def _import_tui() -> None:
    """Import every kamcoach.tui module, so every screen and dialog class exists."""
    import kamcoach.tui

    for info in pkgutil.walk_packages(kamcoach.tui.__path__, "kamcoach.tui."):
        importlib.import_module(info.name)


def _classes(base: type) -> Iterator[type]:
    sub: type
    for sub in base.__subclasses__():
        yield sub
        yield from _classes(sub)


def kamcoach_bindings() -> dict[str, tuple[type, Binding]]:
    """Every binding declared by a kamcoach class, by id (class, binding)."""
    _import_tui()
    found: dict[str, tuple[type, Binding]] = {}
    for cls in set(_classes(DOMNode)):
        if not cls.__module__.startswith("kamcoach."):
            continue
        for item in cls.__dict__.get("BINDINGS", []):
            if isinstance(item, Binding) and item.id:
                found.setdefault(item.id, (cls, item))
    return found


def unnamed_bindings() -> list[tuple[type, Binding | tuple[str, ...]]]:
    """kamcoach bindings without an id (they could not be overridden): should be none."""
    _import_tui()
    return [
        (cls, item)
        for cls in set(_classes(DOMNode))
        if cls.__module__.startswith("kamcoach.")
        for item in cls.__dict__.get("BINDINGS", [])
        if not (isinstance(item, Binding) and item.id)
    ]


def check_keymap(keys: dict[str, str], path: Path | None) -> dict[str, str]:
    """config.toml ``[keys]`` checked against the real binding ids; InputError names
    the first unknown id (with the closest known one) so a typo is never silently
    ignored."""
    known = sorted(kamcoach_bindings())
    where = path.name if path is not None else "config.toml"
    for binding_id in keys:
        if binding_id not in known:
            close = difflib.get_close_matches(binding_id, known, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise InputError(
                f"{where}: keys.{binding_id}: unknown binding ({hint}known: {', '.join(known)})"
            )
    return dict(keys)


def _keys_of(binding: Binding, keymap: Mapping[str, str]) -> set[str]:
    keys = keymap.get(binding.id) if binding.id else None
    return {k.strip() for k in (keys or binding.key).split(",")}


def keymap_clashes(keymap: Mapping[str, str]) -> list[str]:
    """Overrides that take a key another binding of the same screen (or the app) still
    has: one of the two would never run. Textual's keymap drops the other binding's key
    without a word, hence this check."""
    if not keymap:
        return []
    from kamcoach.tui.app import KamcoachApp

    found = kamcoach_bindings()
    clashes: list[str] = []
    for binding_id in keymap:
        if binding_id not in found:
            continue
        cls, binding = found[binding_id]
        new_keys = _keys_of(binding, keymap)
        for other_id, (other_cls, other) in sorted(found.items()):
            if other_id == binding_id or other_cls not in (cls, KamcoachApp):
                continue
            shared = new_keys & _keys_of(other, keymap)
            if shared:
                key = sorted(shared)[0]
                clashes.append(f"{binding_id} = {key!r}, already the key of {other_id}")
    return clashes


def localise(node: DOMNode, strings: Strings) -> None:
    """Give the node's bindings the labels and tooltips of the interface language."""
    bindings = node._bindings
    for key, key_bindings in bindings.key_to_bindings.items():
        bindings.key_to_bindings[key] = [_localised(b, strings) for b in key_bindings]


def _localised(binding: Binding, strings: Strings) -> Binding:
    if binding.id is None:  # one of Textual's own (tab, copy): by its action
        label = strings.textual_label(binding.action)
        if label is None:
            return binding
        return dataclasses.replace(binding, description=label, tooltip="")
    label = strings.key_label(binding.id)
    if label is None:
        return binding
    tip = strings.key_tip(binding.id) or binding.tooltip
    return dataclasses.replace(binding, description=label, tooltip=tip)


@dataclass(frozen=True, slots=True)
class KeyRow:
    """One line of the help table: the keys of one binding."""

    keys: str
    label: str
    tip: str
    binding_id: str | None
    in_footer: bool


def key_rows(app: App[Any], node: DOMNode, keymap: Mapping[str, str]) -> list[KeyRow]:
    """The node's bindings as they stand (overrides applied), one row per binding id,
    keys hidden from the footer included; Textual's system bindings left out."""
    bindings: BindingsMap = node._bindings.copy()
    if keymap:
        bindings.apply_keymap(keymap)
    rows: dict[object, tuple[list[str], Binding]] = {}
    for _key, binding in bindings:
        if binding.system:
            continue
        ident = binding.id or (binding.action, binding.description)
        keys, _first = rows.setdefault(ident, ([], binding))
        display = app.get_key_display(binding)
        if display not in keys:
            keys.append(display)
    return [
        KeyRow(
            keys=" / ".join(keys),
            label=binding.description or binding.action,
            tip=binding.tooltip or "",
            binding_id=binding.id,
            in_footer=binding.show,
        )
        for keys, binding in rows.values()
    ]


def key_for(app: App[Any], node: DOMNode, action: str, keymap: Mapping[str, str]) -> str | None:
    """The key that runs ``action`` on ``node`` now (overrides applied), for hints."""
    bindings: BindingsMap = node._bindings.copy()
    if keymap:
        bindings.apply_keymap(keymap)
    for _key, binding in bindings:
        if binding.action == action:
            return app.get_key_display(binding)
    return None
