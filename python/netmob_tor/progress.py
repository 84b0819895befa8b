"""Progress of long work on stderr: a bar on a terminal, a line at every tenth of the way elsewhere (a log file)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """`step()` after each of `total` units of `label`; `done()` prints the elapsed time."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total, self.label, self.count = max(int(total), 1), label, 0
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()
        self.is_tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.shown = -1

    def step(self, n: int = 1, note: str = "") -> None:
        """Count `n` more units; redraw the bar, or print a line when another tenth is reached."""
        self.count = min(self.count + n, self.total)
        share = self.count / self.total
        if self.is_tty:
            bar = "#" * int(share * 30)
            self.stream.write(f"\r  {self.label} [{bar:<30}] {self.count}/{self.total} {note[:40]:<40}")
            self.stream.flush()
        elif int(share * 10) > self.shown:
            self.shown = int(share * 10)
            print(f"  {self.label}: {self.count}/{self.total} ({share:.0%}, {time.perf_counter() - self.start:.0f} s)",
                  file=self.stream, flush=True)

    def done(self) -> float:
        """End the bar; the seconds since the start."""
        seconds = time.perf_counter() - self.start
        if self.is_tty:
            self.stream.write(f"\r  {self.label}: {self.count}/{self.total} in {seconds:.0f} s{' ' * 60}\n")
            self.stream.flush()
        return seconds
