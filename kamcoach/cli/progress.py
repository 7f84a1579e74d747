"""A spinner, then a progress bar, for every step that takes more than a second.

Shown on stderr and only when stderr is a terminal, so a script piping
stdout (and the tests) see clean output. It appears after ``delay`` seconds
(``KAMCOACH_PROGRESS_DELAY``, default 1): a quick step stays silent rather
than flickering. Until the step reports a total it spins; then it is a bar
with the time left. The label is shown as text, never read as markup (file
names may hold brackets).
"""

from __future__ import annotations

import os
import sys
import threading
from types import TracebackType
from typing import Any

from rich.console import Console

DEFAULT_DELAY = 1.0


def _delay() -> float:
    try:
        return max(float(os.environ.get("KAMCOACH_PROGRESS_DELAY", DEFAULT_DELAY)), 0.0)
    except ValueError:
        return DEFAULT_DELAY


class Activity:
    """``with Activity("Reading deals.csv") as step: step(done, total)``; a no-op off a terminal."""

    def __init__(
        self, label: str, *, console: Console | None = None, delay: float | None = None
    ) -> None:
        self.label = label
        self.delay = _delay() if delay is None else delay
        if console is None and sys.stderr.isatty():
            console = Console(stderr=True)
        self.console = console
        self.done = 0
        self.total: int | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._timer: threading.Timer | None = None
        self._progress: Any = None

    @property
    def enabled(self) -> bool:
        return self.console is not None

    def __enter__(self) -> Activity:
        if self.enabled:
            if self.delay <= 0:
                self._start()
            else:
                self._timer = threading.Timer(self.delay, self._start)
                self._timer.daemon = True
                self._timer.start()
        return self

    def _start(self) -> None:
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        with self._lock:
            if self._closed or self._progress is not None:
                return
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}", markup=False, style="progress.description"),
                BarColumn(),
                TaskProgressColumn(),
                TimeRemainingColumn(),
                console=self.console,
                transient=True,
            )
            self._progress.add_task(self.label, total=self.total, completed=self.done)
            self._progress.start()

    def __call__(self, done: int, total: int | None = None) -> None:
        with self._lock:
            self.done, self.total = done, total
            if self._progress is not None:
                self._progress.update(self._progress.task_ids[0], completed=done, total=total)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
            if self._progress is not None:
                self._progress.stop()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
