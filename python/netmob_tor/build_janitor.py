"""The build's janitor: removes what a build leaves behind when it is killed (even by `kill -9`).

`netmob-tor build` starts it first, in its own session, with a pipe on its stdin and the build lock's file
descriptor. The build writes `worker <pid>` for each dbt process it starts and `done` when it has cleaned up
itself. When the pipe closes without `done` (the build died), the janitor kills the worker if it still
runs, removes the private copy and the build's temporary files, folds the landing's write-ahead log
into it (DuckDB keeps committed work and drops the rest), then exits, releasing the lock it shares.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path


def wait_gone(pid: int, seconds: float = 30.0) -> None:
    """Wait until process `pid` no longer runs (killed by its parent's death signal or by us)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        except PermissionError:
            return
        state = Path(f"/proc/{pid}/stat")
        try:
            if state.read_text().split(")")[-1].split()[0] == "Z":  # a zombie: dead, not yet reaped
                return
        except (OSError, IndexError):
            return
        time.sleep(0.05)


def remove(paths: list[str]) -> None:
    """Remove files and folders, ignoring those already gone."""
    for name in paths:
        path = Path(name)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def fold_wal(landing: str) -> None:
    """Open and close the landing once so that DuckDB replays its write-ahead log and removes it."""
    if not landing or not Path(landing + ".wal").exists():
        return
    import duckdb

    try:
        duckdb.connect(landing).close()
    except duckdb.Error:
        pass  # the next build opens it again and says what is wrong


def main() -> int:
    """`python -m netmob_tor.build_janitor '{"remove": [...], "landing": path}'`, fed by the build on stdin."""
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    plan = json.loads(sys.argv[1])
    worker: int | None = None
    for line in sys.stdin:
        word, _, value = line.strip().partition(" ")
        if word == "done":
            return 0
        if word == "worker":
            worker = int(value)
    if worker is not None:  # the build died: its worker dies with it (parent-death signal); make sure
        try:
            os.kill(worker, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        wait_gone(worker)
    remove(plan["remove"])
    fold_wal(plan.get("landing", ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
