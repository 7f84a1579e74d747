"""One score palette, colour-blind safe, drawn the same in the TUI, the CLI and the HTML report.

Issue 13 defect 9: a score of 2 was green in the TUI and yellow in the CLI and
the report. The renderers are asked for the colour of each score and must
agree with :mod:`kamcoach.palette`; the palette must keep every pair of cells
apart for the three common colour-vision deficiencies and carry readable text.
"""

from __future__ import annotations

import itertools
import math
import re
from datetime import date

import pytest
from rich.console import Console
from rich.style import Style

from kamcoach import palette
from kamcoach.cli.pipeline_cmd import heat_strip as cli_heat_strip
from kamcoach.playbooks.loader import load_playbooks
from kamcoach.review import report
from kamcoach.review.pipeline_model import DealRow
from kamcoach.tui.widgets.heat import heat_strip as tui_heat_strip
from kamcoach.tui.widgets.heat import score_text

#: Machado, Oliveira & Fernandes (2009), severity 1.0, applied to linear RGB.
SIMULATIONS = {
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "tritanopia": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
    "normal vision": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
}
CELLS = {
    "not analysed": palette.NONE_COLOUR,
    "gap": palette.GAP_COLOUR,
    **{str(score): colour for score, colour in palette.SCORE_COLOURS.items()},
}
#: CIE76 distance below which two flat colour patches are hard to tell apart at a glance.
MIN_DELTA_E = 15.0


def _lab(colour: str, matrix: tuple[tuple[float, ...], ...]) -> tuple[float, float, float]:
    rgb = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    r, g, b = (
        min(1.0, max(0.0, sum(m * v for m, v in zip(row, lin, strict=True)))) for row in matrix
    )
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


@pytest.mark.parametrize("vision", SIMULATIONS)
def test_every_pair_of_cells_stays_apart(vision: str) -> None:
    matrix = SIMULATIONS[vision]
    for (a, ca), (b, cb) in itertools.combinations(CELLS.items(), 2):
        distance = math.dist(_lab(ca, matrix), _lab(cb, matrix))
        assert distance >= MIN_DELTA_E, f"{a} and {b} look alike with {vision} ({distance:.1f})"


@pytest.mark.parametrize("name", CELLS)
def test_text_on_every_cell_is_readable(name: str) -> None:
    colour = CELLS[name]
    assert palette.contrast(palette.foreground(colour), colour) >= 4.5


def _bg(style: str | Style) -> str:
    parsed = Style.parse(style) if isinstance(style, str) else style
    assert parsed.bgcolor is not None and parsed.bgcolor.triplet is not None
    return parsed.bgcolor.triplet.hex.upper()


def _deal(scores: dict[str, int | None], statuses: dict[str, str | None]) -> DealRow:
    return DealRow(
        id=1,
        name="Acme",
        account="Acme",
        owner="A",
        stage="proposal",
        amount=1.0,
        currency="EUR",
        close_date=date(2027, 1, 1),
        playbook="meddic",
        score=50.0,
        scores=scores,
        statuses=statuses,
    )


def test_tui_cli_and_html_draw_each_score_in_the_same_colour() -> None:
    playbooks = load_playbooks()
    meddic = playbooks.playbook("meddic")
    ids = list(meddic.criteria_ids)
    values: list[int | None] = [0, 1, 2, 3, None, 0]
    scores = dict(zip(ids, values, strict=True))
    statuses: dict[str, str | None] = {cid: None for cid in ids}
    statuses[ids[5]] = "gap"
    expected = [
        palette.background(v, statuses[c]).upper() for c, v in zip(ids, values, strict=True)
    ]
    assert expected[:4] == [palette.SCORE_COLOURS[s].upper() for s in range(4)]

    tui = tui_heat_strip(playbooks, meddic, scores, statuses)
    assert [_bg(span.style) for span in tui.spans] == expected

    cli = cli_heat_strip(_deal(scores, statuses), playbooks)
    assert [_bg(span.style) for span in cli.spans if span.style] == expected

    shorts = {cid: playbooks.criteria[cid].short for cid in ids}
    html = report._html_heat(_deal(scores, statuses), shorts)
    assert [c.upper() for c in re.findall(r"background:(#[0-9A-Fa-f]{6})", html)] == expected
    svg = report.svg_heat_map([_deal(scores, statuses)], playbooks)
    assert [c.upper() for c in re.findall(r'<rect[^>]*fill="(#[0-9A-Fa-f]{6})"', svg)] == expected

    console = Console()
    for score in range(4):
        cell = score_text(score, "mentioned").get_style_at_offset(console, 1)
        assert _bg(cell) == expected[score]
    assert _bg(score_text(0, "gap").get_style_at_offset(console, 1)) == palette.GAP_COLOUR


def test_overall_score_bands_use_the_colour_of_the_matching_step() -> None:
    assert [band[3] for band in report.SCORE_BANDS] == [palette.SCORE_COLOURS[s] for s in range(4)]
    assert [palette.band_score(v) for v in (0, 24.9, 25, 74.9, 75, 100)] == [0, 0, 1, 2, 3, 3]
