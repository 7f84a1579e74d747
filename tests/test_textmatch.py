"""Search and sort as the tables do them, without the interface (kamcoach.textmatch,
DealRows.matching / sorted_by): the fast path on the review's facts agrees with
the same operations on built rows."""

from __future__ import annotations

from datetime import date

from sqlite_utils import Database

from kamcoach.playbooks.model import PlaybookSet
from kamcoach.review.pipeline import review_pipeline
from kamcoach.review.pipeline_model import DealRows
from kamcoach.textmatch import fold, matcher, sort_key
from kamcoach.tui.screens.pipeline import PipelineScreen


def test_fold_and_matcher_ignore_case_accents_and_word_order() -> None:
    assert fold("Traçabilité CHAÎNE") == "tracabilite chaine"
    matches = matcher("lyon TRAC")
    assert matches(("Traçabilité – entrepôts Lyon",))
    assert matches(("Traçabilité", "Groupe Lyon"))  # words may sit in different fields
    assert not matches(("Traçabilité", "Paris"))
    assert matcher("  ")(("anything",))  # an empty search keeps every row


def test_sort_key_orders_numbers_and_dates_as_such_empty_last() -> None:
    assert sorted([10, 9, 100, None], key=sort_key) == [9, 10, 100, None]
    assert sorted(["b", "", "Á", "a"], key=sort_key) == ["Á", "a", "b", ""]
    days = [date(2026, 12, 1), date(2026, 2, 1)]
    assert sorted(days, key=sort_key) == sorted(days)


def test_deal_rows_search_and_sorts_match_built_rows(
    demo_db: Database, playbooks: PlaybookSet
) -> None:
    report = review_pipeline(demo_db, playbooks, today=date(2026, 11, 20))
    deals = report.deals
    assert isinstance(deals, DealRows)
    built = list(deals)
    for query in ("renewal", "sarah", "brightwater", "renouvellement support", "zzz"):
        kept = [d.id for d in built if matcher(query)((d.name, d.account, d.owner))]
        assert [d.id for d in deals.matching(query)] == kept, query
    assert len(deals.matching("sarah")) < len(deals)
    for key in ("name", "stage", "account", "id"):
        expected = [d.id for d in PipelineScreen._sorted_rows(built, key)]
        assert deals.sorted_by(key).ids == expected, key
        assert deals.sorted_by(key, reverse=True).ids == expected[::-1], key
    stages = [d.stage for d in deals.sorted_by("stage")]
    assert stages.index("discovery") < stages.index("commit")  # funnel order, not A-Z
