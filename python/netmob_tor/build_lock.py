"""One writer at a time: an exclusive lock on the warehouse folder, held by a writer for its whole run.

The lock is the kernel's (`flock` on the folder itself): it is released when its holder ends, however it
ends (a `kill -9` included), so a stale lock cannot block the next writer, and it leaves no file. While
held, `<warehouse>.lock` names the holder (pid, start time, command) for the message of whoever waits;
it is removed on release (and by the build's janitor after a kill). Exploratory area-level data: no
individual or causal meaning.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from netmob_tor.errors import UserError


def lock_path(database: Path) -> Path:
    """The file naming the holder of a warehouse's lock (beside it, only while held)."""
    return database.with_name(database.name + ".lock")


def holder(path: Path) -> str:
    """Who holds the lock, in words, from the lock file's text."""
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return "another writer"
    if not info:
        return "another writer"
    return f"the writer of pid {info.get('pid')} (started {info.get('started')}: {info.get('command')})"


class BuildLock:
    """The exclusive build lock of `database`; `acquire` waits for it (or fails at once with `wait=False`)."""

    def __init__(self, database: Path) -> None:
        self.path = lock_path(database)
        self.folder = database.parent
        self.fd: int | None = None

    def acquire(self, wait: bool = True, poll_seconds: float = 0.5, create: bool = True) -> None:
        """Take the lock, telling once on stderr whom it waits for; raise UserError when `wait` is false and it is held.
        `create`: make the warehouse folder first (a build); else it must exist."""
        try:
            if create:
                self.folder.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as error:
            raise UserError(f"cannot create or open the warehouse folder {self.folder} ({error.strerror}); "
                            "set NETMOB_TOR_DB to a warehouse file in a writable folder") from None
        told = False
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait:
                    os.close(self.fd)
                    self.fd = None
                    raise UserError(f"{holder(self.path)} is writing this warehouse; run again when it ends "
                                    "(without --no-wait, a build waits for it)") from None
                if not told:
                    print(f"netmob-tor: waiting for {holder(self.path)} to finish (Ctrl-C stops waiting)", file=sys.stderr)
                    told = True
                time.sleep(poll_seconds)
        started = dt.datetime.now().isoformat(timespec="seconds")
        text = json.dumps({"pid": os.getpid(), "started": started, "command": " ".join(sys.argv[:6])})
        try:
            self.path.write_text(text, encoding="utf-8")
        except OSError as error:
            self.release()
            raise UserError(f"cannot write in the warehouse folder {self.folder} ({error.strerror}): a build needs it "
                            "writable; set NETMOB_TOR_DB to a warehouse file in a writable folder") from None

    def release(self) -> None:
        """Release the lock (also released by the kernel when the process ends)."""
        if self.fd is not None:
            try:
                self.path.unlink(missing_ok=True)
            except OSError:
                pass  # a folder that turned read-only: nothing was written there
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> BuildLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@contextmanager
def held(database: Path, command: str) -> Iterator[BuildLock]:
    """The warehouse's writer lock for the block (waiting for a running build): commands that store tables in the
    warehouse take it, so that a build's swap never drops what they wrote, nor they what a build wrote. The
    warehouse must exist in a writable folder (one line otherwise; nothing is created)."""
    from netmob_tor.duck import require_writable

    lock = BuildLock(require_writable(database, command).absolute())
    lock.acquire(wait=True, create=False)
    try:
        yield lock
    finally:
        lock.release()
