"""Time to first screen and time until the language model is ready, for the terminal app.

Runs the real app headless (Textual's test driver, 100x30) on a fresh demo
database, the way ``kamcoach`` starts it: the pipeline screen must appear
before spaCy has loaded, and the model must load in a worker. Prints seconds
measured from the start of the process and from the app's construction.

    python benchmarks/tui_startup.py

For the figure a user sees in a real terminal, run ``kamcoach --db /tmp/b.db``
in tmux with KAMCOACH_TUI_TIMINGS=/tmp/t.json and read the JSON it writes.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

PROCESS_START = time.perf_counter()


async def main() -> None:
    from kamcoach.io.demo import load_demo
    from kamcoach.playbooks.loader import load_playbooks
    from kamcoach.storage.db import open_db
    from kamcoach.tui.app import make_app

    folder = Path(tempfile.mkdtemp())
    db = open_db(folder / "bench.db")
    load_demo(db)
    built = time.perf_counter()
    app = make_app(db, load_playbooks(), export_dir=folder, started=built)
    async with app.run_test(size=(100, 30)) as pilot:
        while "first_screen" not in app.timings:
            await pilot.pause(0.01)
        first = time.perf_counter()
        rows_at = None
        while "model_ready" not in app.timings:
            screen = app.screen
            if rows_at is None and getattr(screen, "rows", None):
                rows_at = time.perf_counter()
            await pilot.pause(0.05)
        ready = time.perf_counter()
    print(f"imports + demo load before the app:     {built - PROCESS_START:6.2f} s")
    print(f"first screen painted (after app start): {first - built:6.2f} s")
    if rows_at is not None:
        print(f"pipeline rows shown (after app start):  {rows_at - built:6.2f} s")
    print(f"model ready (after app start):          {ready - built:6.2f} s")
    print(f"model_state = {app.model_state}; timings = {app.timings}")


if __name__ == "__main__":
    asyncio.run(main())
