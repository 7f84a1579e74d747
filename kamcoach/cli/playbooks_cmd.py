"""``kamcoach playbooks``: list, show and check the methodology playbooks."""

from __future__ import annotations

from pathlib import Path

import click
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from kamcoach.cli.context import Ctx, pass_ctx
from kamcoach.cli.output import console, format_option, render_rows
from kamcoach.cli.progress import Activity
from kamcoach.playbooks.loader import load_playbooks
from kamcoach.textsafe import plain


@click.group()
def playbooks() -> None:
    """Methodology playbooks: MEDDIC, MEDDPICC, BANT and Natural Selling.

    Bundled playbooks can be overridden or extended by TOML files in
    ~/.config/kamcoach/playbooks (or $KAMCOACH_CONFIG_DIR/playbooks).

    \b
    Example:
      kamcoach playbooks show meddic --lang fr
    """


@playbooks.command("list")
@format_option()
@pass_ctx
def list_(obj: Ctx, fmt: str) -> None:
    """List the qualification playbooks and their criteria.

    \b
    Example:
      kamcoach playbooks list --format md
    """
    pset = obj.playbooks
    rows = [
        {
            "id": p.id,
            "name": p.name.en,
            "criteria": ", ".join(p.criteria_ids),
            "source": str(p.source),
        }
        for p in pset.playbooks.values()
    ]
    rows.append(
        {
            "id": pset.method.id,
            "name": pset.method.name.en,
            "criteria": " > ".join(ph.id for ph in pset.method.phases),
            "source": str(pset.method.source),
        }
    )
    render_rows(rows, fmt, title="Playbooks")


@playbooks.command("show")
@click.argument("playbook_id")
@click.option("--lang", type=click.Choice(["en", "fr"]), default="en", show_default=True)
@pass_ctx
def show(obj: Ctx, playbook_id: str, lang: str) -> None:
    """Show a playbook: criteria, weights, rubric, questions and stage gates.

    \b
    Example:
      kamcoach playbooks show meddpicc --lang fr
      kamcoach playbooks show natural_selling
    """
    pset = obj.playbooks
    out = console()
    if playbook_id == pset.method.id:
        method = pset.method
        out.print(Panel(plain(method.description.get(lang)), title=plain(method.name.get(lang))))
        for principle in method.principles[lang]:
            out.print(plain(f"  • {principle}"))
        table = Table(header_style="bold")
        for col in ("phase", "minutes", "goal", "uncovers"):
            table.add_column(col)
        for ph in method.phases:
            table.add_row(
                plain(ph.name.get(lang)),
                f"{ph.start_minute}-{ph.end_minute}",
                plain(ph.goal.get(lang)),
                plain(", ".join(ph.uncovers)),
            )
        out.print(table)
        return
    pb = pset.playbook(playbook_id)
    # Team playbooks are user files: their texts are shown as Text, never read as markup.
    out.print(Panel(plain(pb.description.get(lang)), title=plain(f"{pb.name.get(lang)} ({pb.id})")))
    for cid, weight in pb.weights.items():
        crit = pset.criteria[cid]
        out.print(
            Text.assemble(
                (f"\n{crit.name.get(lang)}", "bold"), " ", (f"({cid}, weight {weight:g})", "dim")
            )
        )
        out.print(plain(f"  {crit.definition.get(lang)}"))
        out.print(Text.assemble("  ", (crit.why.get(lang), "italic")))
        for level, text in enumerate(crit.rubric):
            out.print(Text.assemble("  ", (str(level), "cyan"), " ", text.get(lang)))
        for q in crit.questions:
            out.print(
                Text.assemble(
                    "  ",
                    ("?", "green"),
                    f" {q.text.get(lang)} ",
                    (f"({q.phase}: {q.when.get(lang)})", "dim"),
                )
            )
    gates = Table(title="Stage gates (minimum score)", header_style="bold")
    gates.add_column("stage")
    gates.add_column("probability", justify="right")
    for cid in pb.criteria_ids:
        gates.add_column(plain(pset.criteria[cid].short), justify="right")
    for stage in pb.stages:
        gates.add_row(
            stage.id,
            f"{stage.probability:.0%}",
            *[str(stage.gate.get(cid, "")) for cid in pb.criteria_ids],
        )
    out.print(gates)


@playbooks.command("check")
@click.argument("folders", nargs=-1, type=click.Path(path_type=Path))
def check(folders: tuple[Path, ...]) -> None:
    """Validate playbook files and report the first problem with file and key.

    Without arguments checks the bundled and team playbooks; with FOLDERS
    checks those folders (same layout: criteria/*.toml and <id>.toml), each
    layered over the bundled playbooks. The team settings (team.toml: the
    default playbook of new deals, the base currency and exchange rates) are
    checked against them.

    \b
    Example:
      kamcoach playbooks check ~/.config/kamcoach/playbooks
    """
    from kamcoach.paths import playbooks_dir

    search = [playbooks_dir(), *folders] if folders else None
    with Activity("checking playbooks and language patterns"):
        pset = load_playbooks(search)
        _check_patterns(pset)
    from kamcoach.team import load_team_settings

    team = load_team_settings(tuple(pset.playbooks))  # team.toml names a loaded playbook
    click.echo(
        f"ok: {len(pset.criteria)} criteria, {len(pset.playbooks)} qualification playbooks "
        f"({', '.join(sorted(pset.playbooks))}), method {pset.method.id} "
        f"with {len(pset.method.phases)} phases; team default playbook {team.default_playbook}"
    )
    rates = team.rates
    codes = sorted({c for t in rates.tables for c in t.rates})
    latest = f", latest dated {rates.tables[-1].on.isoformat()}" if rates.tables else ""
    click.echo(
        f"totals in {rates.base}; rates for {', '.join(codes) or 'no other currency'}{latest}"
    )


def _check_patterns(pset: object) -> None:
    """Let the analyser compile the patterns when it is installed, so bad ones fail here."""
    try:
        from kamcoach.analysis.patterns import LANGS, validate_patterns
        from kamcoach.analysis.people_rules import people_files, read_people_rules
    except ImportError:
        return
    validate_patterns(pset)  # type: ignore[arg-type]
    # The people rules (names, roles, departures) are checked here rather than inside
    # validate_patterns, whose source is an input of the trained evidence model.
    for lang in LANGS:
        for path in people_files(lang):
            read_people_rules(path)
