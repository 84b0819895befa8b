"""Statistics a sample is too small for: raised as NotComputed (what needs how many), logged, and skipped.

`analyze` stores what it can and lists the rest in `analysis_not_computed` with the n it had and the
n each statistic needs, so a small build (one city, a few days) still gives every table it supports.
"""

from __future__ import annotations

import pandas as pd

COLUMNS = ["table_name", "statistic", "n", "minimum_n", "reason"]


class NotComputed(Exception):
    """A statistic not computed on this sample: `what` needs `minimum` (of `unit`) and had `n`."""

    def __init__(self, what: str, n: int, minimum: int, unit: str = "communes", detail: str = "") -> None:
        self.what, self.n, self.minimum, self.unit, self.detail = what, int(n), int(minimum), unit, detail
        super().__init__(self.reason)

    @property
    def reason(self) -> str:
        """'not computed: n = 3 (Williams' t needs n >= 4 communes with ...)'."""
        needs = self.detail or f"{self.what} needs n >= {self.minimum} {self.unit}"
        return f"not computed: n = {self.n} ({needs})"


def require(n: int, minimum: int, what: str, unit: str = "communes") -> None:
    """Raise NotComputed unless n >= minimum."""
    if n < minimum:
        raise NotComputed(what, n, minimum, unit)


def log_row(table: str, statistic: str, skipped: NotComputed) -> dict[str, object]:
    """One row of analysis_not_computed."""
    return {"table_name": table, "statistic": statistic, "n": skipped.n, "minimum_n": skipped.minimum, "reason": skipped.reason}


def log_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """analysis_not_computed: one row per table or statistic left out, typed even when empty."""
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.astype({"table_name": "string", "statistic": "string", "n": "int64", "minimum_n": "int64", "reason": "string"})


def format_not_computed(frame: pd.DataFrame) -> str:
    """The printed list: one line per table or statistic not computed."""
    lines = ["Not computed on this sample (stored in analysis_not_computed):"]
    for r in frame.itertuples(index=False):
        label = f"analysis_{r.table_name}" + (f", {r.statistic}" if r.statistic else "")
        lines.append(f"  {label}: {r.reason}")
    return "\n".join(lines)
