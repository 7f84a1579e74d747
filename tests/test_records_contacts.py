"""Contacts, one model (kamcoach.records.contacts): values checked, people not doubled,
reporting lines without cycles, and one effective role per deal."""

from __future__ import annotations

from typing import Any

import pytest
from sqlite_utils import Database

from kamcoach.errors import InputError, KamcoachError, NotFoundError
from kamcoach.io.demo import load_demo
from kamcoach.records import contacts as rc
from kamcoach.storage import repo

STAMP = "2026-11-01T10:00:00"


def seed(db: Database) -> None:
    """Two accounts with one deal each, and Hélène Dubois at Valmont."""
    db["accounts"].insert_all(
        [
            {"id": 1, "name": "Valmont Logistique", "created_at": STAMP},
            {"id": 2, "name": "Maison Cordier", "created_at": STAMP},
        ]
    )
    for deal_id, account_id, name in ((10, 1, "Valmont WMS"), (20, 2, "Cordier ERP")):
        db["opportunities"].insert(
            {
                "id": deal_id,
                "account_id": account_id,
                "name": name,
                "amount": 150000,
                "stage": "proposal",
                "close_date": "2026-12-31",
                "owner": "Camille Martin",
                "created_at": STAMP,
                "stage_changed_at": STAMP,
            }
        )
    rc.add_contact(
        db,
        1,
        "Hélène Dubois",
        title="DAF",
        email="helene.dubois@valmont.example",
        buying_role="economic_buyer",
    )


@pytest.fixture
def sdb(db: Database) -> Database:
    seed(db)
    return db


def count(db: Database, table: str = "contacts") -> int:
    return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def link_row(db: Database, deal_id: int, contact_id: int) -> dict[str, Any] | None:
    rows = list(
        db.query(
            "SELECT role, engaged FROM opportunity_contacts "
            "WHERE opportunity_id = ? AND contact_id = ?",
            [deal_id, contact_id],
        )
    )
    return rows[0] if rows else None


# ---------------------------------------------------------------- values


REFUSED: list[tuple[dict[str, Any], str]] = [
    ({"name": ""}, "contact name is empty"),
    ({"name": "   "}, "contact name is empty"),
    ({"name": "Marc\nLemaire"}, "line break"),
    ({"name": "x" * 201}, "201 characters"),
    ({"email": "marc.lemaire@valmont"}, "does not look like"),
    ({"email": "marc lemaire@valmont.example"}, "does not look like"),
    ({"email": "marc@@valmont.example"}, "does not look like"),
    ({"buying_role": "coach"}, "unknown buying role 'coach'"),
    ({"buying_role": "décideur"}, "unknown buying role"),
    ({"stance": "hostile"}, "unknown stance 'hostile'"),
    ({"influence": "huge"}, "unknown influence 'huge'"),
    ({"last_contact_at": "18/11/2026"}, "'18/11/2026' is not YYYY-MM-DD"),
    ({"last_contact_at": "2026-02-30"}, "is not YYYY-MM-DD"),
    ({"last_contact_at": "2026-12-25"}, "2026-12-25 is in the future"),  # today is 2026-11-20
    ({"reports_to": "Nobody Here"}, "reports-to 'Nobody Here'"),
    ({"deal_role": "champion"}, "needs a deal"),
    ({"deal": 10, "deal_role": "unknown"}, "overrides nothing"),
    ({"deal": 20}, "works at Valmont Logistique, not at Maison Cordier"),
    ({"deal": 99}, "no deal with id or name 99"),
]


@pytest.mark.parametrize("values,message", REFUSED, ids=[m for _, m in REFUSED])
def test_bad_values_are_refused_and_nothing_is_written(
    sdb: Database, values: dict[str, Any], message: str
) -> None:
    values = {"name": "Marc Lemaire", **values}
    before = (count(sdb), count(sdb, "opportunity_contacts"))
    with pytest.raises(KamcoachError) as err:  # InputError, NotFoundError for the deal
        rc.add_contact(sdb, "Valmont Logistique", **values)
    assert message in str(err.value)
    assert (count(sdb), count(sdb, "opportunity_contacts")) == before


def test_manager_must_work_at_the_same_account(sdb: Database) -> None:
    other = rc.add_contact(sdb, 2, "Paul Cordier")
    with pytest.raises(InputError, match="a manager works at the same account"):
        rc.add_contact(sdb, 1, "Marc Lemaire", reports_to=other.id)
    with pytest.raises(NotFoundError):
        rc.add_contact(sdb, "No Such Account", "Marc Lemaire")


ACCEPTED: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"name": "  Jean-Marc Lefèvre "}, {"name": "Jean-Marc Lefèvre", "buying_role": "unknown"}),
    ({"name": "Zoë d'Arcy-Ærø", "title": "Directrice générale"}, {"title": "Directrice générale"}),
    ({"buying_role": "Economic buyer"}, {"buying_role": "economic_buyer"}),
    ({"buying_role": "executive-sponsor"}, {"buying_role": "executive_sponsor"}),
    ({"stance": "Sceptic", "influence": "HIGH"}, {"stance": "sceptic", "influence": "high"}),
    ({"email": "françois.noël@valmont.example"}, {"email": "françois.noël@valmont.example"}),
    ({"last_contact_at": "2026-11-20"}, {"last_contact_at": "2026-11-20"}),
    ({"title": "", "stance": ""}, {"title": None, "stance": None}),
]


@pytest.mark.parametrize("values,stored", ACCEPTED, ids=[str(v) for v, _ in ACCEPTED])
def test_good_values_are_stored_normalised(
    sdb: Database, values: dict[str, Any], stored: dict[str, Any]
) -> None:
    values = {"name": "Noé Martin", **values}
    contact = rc.add_contact(sdb, "valmont logistique", **values)
    row = sdb["contacts"].get(contact.id)
    assert {k: row[k] for k in stored} == stored
    assert row["account_id"] == 1 and row["source"] == "user" and row["updated_at"]


# ---------------------------------------------------------------- duplicates


@pytest.mark.parametrize(
    "name,email",
    [
        ("helene dubois", None),
        ("HÉLÈNE  DUBOIS", None),
        ("Hélène-Dubois", None),
        ("Hélène D.", "Helene.Dubois@Valmont.example"),
    ],
)
def test_the_same_person_twice_is_refused_naming_the_existing_contact(
    sdb: Database, name: str, email: str | None
) -> None:
    existing = rc.find_contact(sdb, "Hélène Dubois")
    with pytest.raises(rc.DuplicateContactError) as err:
        rc.add_contact(sdb, 1, name, email=email)
    assert err.value.existing_id == existing.id
    assert f"contact id {existing.id}" in str(err.value)
    assert count(sdb) == 1
    forced = rc.add_contact(sdb, 1, name, email=email, force=True)
    assert forced.id != existing.id and count(sdb) == 2


def test_same_name_at_another_account_is_another_person(sdb: Database) -> None:
    rc.add_contact(sdb, 2, "Hélène Dubois")
    assert count(sdb) == 2


def test_edit_refuses_to_turn_a_contact_into_a_duplicate(sdb: Database) -> None:
    marc = rc.add_contact(sdb, 1, "Marc Lemaire", email="marc@valmont.example")
    with pytest.raises(rc.DuplicateContactError, match="same name"):
        rc.edit_contact(sdb, marc, {"name": "Helene Dubois"})
    with pytest.raises(rc.DuplicateContactError, match="same e-mail"):
        rc.edit_contact(sdb, marc, {"email": "HELENE.DUBOIS@valmont.example"})
    assert sdb["contacts"].get(marc.id)["name"] == "Marc Lemaire"
    # Editing a contact's own values never finds themself a duplicate.
    same = rc.edit_contact(sdb, "Hélène Dubois", {"name": "Hélène Dubois", "stance": "supporter"})
    assert same.stance == "supporter"


def test_edit_changes_clears_and_checks_values(sdb: Database) -> None:
    helene = rc.edit_contact(
        sdb, "HÉLÈNE DUBOIS", {"stance": "advocate", "influence": "high", "title": ""}
    )
    assert (helene.stance, helene.influence, helene.title) == ("advocate", "high", None)
    with pytest.raises(InputError, match="unknown stance"):
        rc.edit_contact(sdb, helene, {"stance": "friendly", "influence": "low"})
    assert sdb["contacts"].get(helene.id)["influence"] == "high"  # nothing written
    with pytest.raises(InputError, match="cannot edit account_id"):
        rc.edit_contact(sdb, helene, {"account_id": 2})


# ---------------------------------------------------------------- reporting lines


def test_reports_to_builds_a_chain_and_refuses_cycles(sdb: Database) -> None:
    helene = rc.find_contact(sdb, "Hélène Dubois")
    marc = rc.add_contact(sdb, 1, "Marc Lemaire")
    marc = rc.edit_contact(sdb, marc, {"reports_to": "hélène dubois"})  # name, case-blind
    nadia = rc.add_contact(sdb, 1, "Nadia Benali", reports_to=marc.id)
    assert (marc.reports_to_id, nadia.reports_to_id) == (helene.id, marc.id)

    with pytest.raises(InputError, match="cannot report to themself"):
        rc.edit_contact(sdb, nadia, {"reports_to": nadia.id})
    with pytest.raises(InputError, match="reporting cycle") as err:
        rc.edit_contact(sdb, helene, {"reports_to": "Nadia Benali"})
    assert "Nadia Benali (id" in str(err.value) and "Marc Lemaire (id" in str(err.value)
    assert sdb["contacts"].get(helene.id)["reports_to_id"] is None

    details = rc.contact_details(sdb, nadia.id)
    assert [c["name"] for c in details["reports_to_chain"]] == ["Marc Lemaire", "Hélène Dubois"]
    assert [r["name"] for r in rc.contact_details(sdb, helene.id)["reports"]] == ["Marc Lemaire"]
    cleared = rc.edit_contact(sdb, nadia, {"reports_to": None})
    assert cleared.reports_to_id is None


def test_ambiguous_names_name_the_ids(sdb: Database) -> None:
    rc.add_contact(sdb, 2, "Hélène Dubois")
    with pytest.raises(InputError, match=r"ambiguous \(ids 1 at Valmont Logistique, 2 at"):
        rc.find_contact(sdb, "Hélène Dubois")
    assert rc.find_contact(sdb, "Hélène Dubois", account_id=2).id == 2


# ---------------------------------------------------------------- deals and roles


def test_effective_role_is_the_deal_override_else_the_contact_role(sdb: Database) -> None:
    olivier = rc.add_contact(sdb, 1, "Olivier Fabre", buying_role="influencer")
    helene = rc.find_contact(sdb, "Hélène Dubois")
    rc.link_contact(sdb, 10, olivier, role="champion")
    rc.link_contact(sdb, 10, helene, role="economic_buyer")  # same as hers: stored as NULL
    assert link_row(sdb, 10, olivier.id) == {"role": "champion", "engaged": 1}
    assert link_row(sdb, 10, helene.id) == {"role": None, "engaged": 1}
    by_name = {c["name"]: c for c in repo.deal_contacts(sdb, 10)}
    assert {k: by_name["Olivier Fabre"][k] for k in ("role", "deal_role", "buying_role")} == {
        "role": "champion",
        "deal_role": "champion",
        "buying_role": "influencer",
    }
    assert by_name["Hélène Dubois"]["role"] == "economic_buyer"
    assert by_name["Hélène Dubois"]["deal_role"] is None

    # Olivier becomes the account's champion: the override says nothing more, it goes.
    rc.edit_contact(sdb, olivier, {"buying_role": "champion"})
    assert link_row(sdb, 10, olivier.id) == {"role": None, "engaged": 1}
    # Helene's role changes with her: the deal follows the contact.
    rc.edit_contact(sdb, helene, {"buying_role": "executive_sponsor"})
    assert {c["name"]: c["role"] for c in repo.deal_contacts(sdb, 10)}["Hélène Dubois"] == (
        "executive_sponsor"
    )


def test_link_again_updates_the_link_and_unlink_removes_it(sdb: Database) -> None:
    helene = rc.find_contact(sdb, "Hélène Dubois")
    rc.link_contact(sdb, "Valmont WMS", helene.id, engaged=False)
    rc.link_contact(sdb, 10, helene.id, role="blocker", engaged=None)  # keeps not engaged
    assert link_row(sdb, 10, helene.id) == {"role": "blocker", "engaged": 0}
    rc.link_contact(sdb, 10, helene.id)  # back to her own role, engaged
    assert link_row(sdb, 10, helene.id) == {"role": None, "engaged": 1}
    assert count(sdb, "opportunity_contacts") == 1
    rc.unlink_contact(sdb, 10, helene)
    assert link_row(sdb, 10, helene.id) is None and count(sdb) == 1
    with pytest.raises(InputError, match="is not on deal 10"):
        rc.unlink_contact(sdb, 10, helene)


def test_add_with_a_deal_links_in_the_same_transaction(sdb: Database) -> None:
    marc = rc.add_contact(
        sdb, 1, "Marc Lemaire", buying_role="user", deal="Valmont WMS", deal_role="champion"
    )
    assert link_row(sdb, 10, marc.id) == {"role": "champion", "engaged": 1}
    with pytest.raises(InputError):  # the link fails: the contact is not kept either
        rc.add_contact(sdb, 1, "Nadia Benali", deal=20)
    assert [c["name"] for c in rc.list_contacts(sdb, account=1)] == [
        "Hélène Dubois",
        "Marc Lemaire",
    ]


def test_list_by_account_and_deal_shows_who_is_on_the_deal(sdb: Database) -> None:
    rc.add_contact(sdb, 1, "Marc Lemaire", buying_role="champion", deal=10, deal_role="user")
    rc.add_contact(sdb, 2, "Paul Cordier")
    both = rc.list_contacts(sdb, account=1, deal=10)
    assert [(r["name"], r["linked"], r["role"], r["deal_role"]) for r in both] == [
        ("Hélène Dubois", False, "economic_buyer", None),
        ("Marc Lemaire", True, "user", "user"),
    ]
    assert [r["name"] for r in rc.list_contacts(sdb, deal=10)] == ["Marc Lemaire"]
    assert len(rc.list_contacts(sdb)) == 3


def test_mark_left_keeps_the_links(sdb: Database) -> None:
    helene = rc.find_contact(sdb, "Hélène Dubois")
    rc.link_contact(sdb, 10, helene)
    gone = rc.mark_left(sdb, helene)
    assert gone.left_company and link_row(sdb, 10, helene.id) is not None
    assert not rc.mark_left(sdb, helene, left=False).left_company


def test_hand_writes_mark_the_database_as_the_users(db: Database) -> None:
    load_demo(db)
    assert repo.get_meta(db, "contents") == "demo"
    rc.add_contact(db, 1, "Camille Roux")
    assert repo.get_meta(db, "contents") == "user"


def test_demo_links_store_a_role_only_where_the_deal_overrides_it(db: Database) -> None:
    load_demo(db)
    overrides = list(
        db.query(
            "SELECT oc.opportunity_id, c.name, oc.role, c.buying_role "
            "FROM opportunity_contacts oc JOIN contacts c ON c.id = oc.contact_id "
            "WHERE oc.role IS NOT NULL ORDER BY oc.opportunity_id"
        )
    )
    assert [(o["opportunity_id"], o["role"], o["buying_role"]) for o in overrides] == [
        (4, "champion", "influencer"),
        (22, "champion", "user"),
        (34, "champion", "user"),
    ]
    roles = {c["id"]: c["role"] for c in repo.deal_contacts(db, 4)}
    assert roles[5] == "champion"


# ---------------------------------------------------------------- flags and checklist


@pytest.mark.parametrize("reference", [False, True], ids=["deal_facts", "reference"])
def test_flags_and_prep_see_contacts_linked_by_hand_with_their_role_on_the_deal(
    sdb: Database, reference: bool
) -> None:
    from kamcoach.playbooks.loader import load_playbooks
    from kamcoach.review.pipeline import review_pipeline, review_pipeline_reference
    from kamcoach.review.prep import build_checklist

    playbooks = load_playbooks()
    review = review_pipeline_reference if reference else review_pipeline

    def flags() -> dict[str, str]:
        report = review(sdb, playbooks)
        (deal,) = [d for d in report.deals if d.id == 10]
        return {f.id: f.reason for f in deal.flags}

    rc.link_contact(sdb, 10, "Hélène Dubois")
    assert "single_threaded" in flags()  # 150,000 EUR and one engaged contact
    # Marc is a user in the account's buying group but the champion on this deal.
    rc.add_contact(sdb, 1, "Marc Lemaire", buying_role="user", deal=10, deal_role="champion")
    assert "single_threaded" not in flags()
    by_role = {a.role: a for a in build_checklist(sdb, 10, playbooks, lang="en").attendees}
    assert by_role["champion"].name == "Marc Lemaire"
    assert by_role["economic_buyer"].name == "Hélène Dubois"
    assert by_role["technical_evaluator"].missing

    rc.mark_left(sdb, "Marc Lemaire")
    now = flags()
    assert now["champion_lost"] == "champion Marc Lemaire has left the company"
    assert "single_threaded" in now
    by_role = {a.role: a for a in build_checklist(sdb, 10, playbooks, lang="en").attendees}
    assert by_role["champion"].missing
    assert "Marc Lemaire has left the company" in (by_role["champion"].note or "")


def test_edit_checks_only_what_changes(sdb: Database) -> None:
    # An e-mail imported before these checks existed does not block recording a stance.
    sdb.execute("UPDATE contacts SET email = 'n/a' WHERE name = 'Hélène Dubois'")
    helene = rc.edit_contact(
        sdb, "Hélène Dubois", {"email": " n/a ", "stance": "supporter", "name": "Hélène Dubois"}
    )
    assert (helene.email, helene.stance) == ("n/a", "supporter")
    with pytest.raises(InputError, match="does not look like"):
        rc.edit_contact(sdb, helene, {"email": "n/a again"})
    assert rc.mark_left(sdb, helene).left_company
