"""How a deal's agreed next step reads on screen: the deal header line and the pipeline cell."""

from __future__ import annotations

from datetime import date

from rich.text import Text

from kamcoach.clock import today as clock_today
from kamcoach.records.next_steps import NextStep


def next_step_line(step: NextStep | None, today: date | None = None) -> Text:
    """``Next step: what (who, due …)``; red when overdue, a yellow hint when none is agreed."""
    line = Text("Next step: ", style="bold")
    if step is None:
        line.append("none agreed (press t)", style="yellow")
        return line
    day = today or clock_today()
    style = "dim" if step.done else "bold red" if step.overdue(day) else ""
    line.append(step.summary(day), style=style)  # user text as Text: never read as markup
    return line


def next_step_cell(step: NextStep | None, today: date | None = None) -> Text:
    """The pipeline table's cell: due date (month-day this year) then what; '—' when none."""
    if step is None:
        return Text("—", style="dim", end="", no_wrap=True)
    day = today or clock_today()
    due = step.due_date
    when = "" if due is None else due.strftime("%m-%d" if due.year == day.year else "%Y-%m-%d")
    style = "dim" if step.done else "red" if step.overdue(day) else ""
    text = f"{when} {step.what}" if when else step.what
    return Text("✓ " + text if step.done else text, style=style, end="", no_wrap=True)
