"""The next batch of a batched job (jobs/batches.py), worked out in a thread while this thread
waits for PostgreSQL to write the current batch: the app's work a row and the database's
overlap instead of taking turns (the import and API bulk jobs check their rows so)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable


class LookAhead:
    """`work(rows, *args)` for the rows after the current batch, in a thread. Its answer serves
    only the very rows the job takes next; anything else (the job resumed elsewhere, an error in
    the thread, which the batch then meets itself) is worked out again in the batch. `work`
    runs in an app context of its own (its own database session): give it plain values, never
    an ORM object of this thread's session, which the batch's commit expires."""

    def __init__(self, app, work: Callable):
        self.app, self.work = app, work
        self.thread: threading.Thread | None = None
        self.after = None
        self.found: tuple | None = None  # (rows, the work's answer or None)

    def start(self, after, rows: list, *args) -> None:
        """Work out `rows`, the rows after the cursor `after`."""
        self.stop()
        self.after, self.found = after, (rows, None)
        self.thread = threading.Thread(target=self._run, args=(rows, args), daemon=True)
        self.thread.start()

    def _run(self, rows, args) -> None:
        with self.app.app_context(), contextlib.suppress(Exception):
            self.found = (rows, self.work(rows, *args))

    def stop(self) -> None:
        if self.thread is not None:
            self.thread.join()
            self.thread = None

    def rows_after(self, after) -> list | None:
        """The rows after `after` when they are the ones read ahead."""
        self.stop()
        return self.found[0] if self.found is not None and self.after == after else None

    def result(self, rows) -> object | None:
        """The work's answer for `rows` (the very list rows_after gave), else None."""
        self.stop()
        if self.found is None or self.found[0] is not rows:
            return None
        return self.found[1]
