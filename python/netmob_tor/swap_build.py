"""`netmob-tor build`: `dbt build`, one writer at a time, the marts swapped in only when every step succeeds.

The warehouse is two DuckDB files. The landing (`<warehouse>.landing.duckdb`: the tile-day table read from
the raw traffic text and its ledger) is append-only and written in place: dbt's transactions and the
ledger make a failed or killed load leave it consistent, and a file is read again until its load is
recorded. Everything else (staging, intermediate models, marts) is built into a private copy of the
warehouse file (`<warehouse>.building-<pid>`), swapped in with one atomic rename when dbt succeeds: a
reader that has the warehouse open keeps the last good marts, a new reader sees the new ones, a failed
build leaves the warehouse as it was. The copy is of the marts only, so a build's cost does not grow
with the landing.

Writers are serialised by an exclusive lock on the warehouse folder (build_lock): a second build waits for the first
(or stops at once with --no-wait), then starts from its result, so no update is lost. dbt runs in a child
process that the kernel kills if the build dies; a janitor process removes the private copy and
temporary files of a build that was killed, even by `kill -9`. Exploratory area-level data: no
individual or causal meaning.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from netmob_tor.build_janitor import fold_wal
from netmob_tor.build_lock import BuildLock
from netmob_tor.errors import UserError
from netmob_tor.params import check_vars, parse_vars_option
from netmob_tor.paths import default_database, landing_path, project_root
from netmob_tor.progress import Progress

PR_SET_PDEATHSIG = 1
DISK_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)


def staging_path(database: Path) -> Path:
    """The private copy a build writes: one name for every build (the lock makes it the only one), so that dbt's
    profile, which names it, is the same from one build to the next and dbt's partial parsing holds."""
    return database.with_name(f"{database.name}.building-copy")


def wal_path(database: Path) -> Path:
    """DuckDB's write-ahead log beside a database file."""
    return database.with_name(database.name + ".wal")


def temp_dir(database: Path) -> Path:
    """DuckDB's spill folder of a build (removed with the copy; one name, as the copy's)."""
    return database.parent / "tmp" / "build-spill"


def leftovers(database: Path) -> list[Path]:
    """Private copies, their logs and spill folders of builds that ended without cleaning up."""
    found = [*database.parent.glob(f"{database.name}.building-*")]
    found += [p for p in (database.parent / "tmp").glob("build-*") if p.is_dir()]
    return sorted(found)


def remove_leftovers(database: Path) -> None:
    """Remove what killed builds left (called under the lock, so no running build owns them)."""
    for path in leftovers(database):
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        print(f"netmob-tor build: removed {path}, left by a build that was stopped", file=sys.stderr)


def die_with_parent() -> None:
    """In the dbt child: ask the kernel for SIGKILL when the build process dies (Linux), so no dbt is orphaned."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def disk_message(error: OSError, what: str, database: Path) -> str:
    """One line for a full, read-only or forbidden disk."""
    return (f"{what} failed: {error.strerror} ({error.filename or database.parent}); the warehouse {database} is "
            "unchanged. Free space or choose a writable folder (NETMOB_TOR_DB), then build again")


def check_no_outside_writer(database: Path) -> None:
    """Refuse to copy a warehouse whose write-ahead log holds work the file lacks (another writer, or one interrupted)."""
    if wal_path(database).exists():
        raise UserError(f"{wal_path(database)} exists: a process other than netmob-tor build (a plain `dbt build`, a "
                        "notebook) has the warehouse open for writing, or was interrupted; close it (or open and close "
                        "the warehouse once to fold the log in), then build again")


def check_landing_free(landing: Path, wait: bool = True, poll_seconds: float = 0.5) -> None:
    """Wait, saying so once, while another process holds the landing (`netmob-tor sensitivity` reads it while it
    rebuilds on its copy; a notebook or the DuckDB CLI may hold it too); with `wait` false, fail in one line."""
    if not landing.exists():
        return
    import duckdb

    told = False
    while True:
        try:
            duckdb.connect(str(landing)).close()
            return
        except duckdb.IOException as error:
            text = str(error).splitlines()[0]
            if not wait:
                raise UserError(f"the landing {landing} is open in another process ({text}); run again when it ends, or "
                                "close it (without --no-wait, a build waits for it)") from None
            if not told:
                print(f"netmob-tor: waiting for the landing {landing}, open in another process ({text}) "
                      "(Ctrl-C stops waiting)", file=sys.stderr, flush=True)
                told = True
            time.sleep(poll_seconds)


class Janitor:
    """The process that cleans up after this build if it is killed (netmob_tor.build_janitor)."""

    def __init__(self, remove: list[Path], landing: Path, lock_fd: int | None) -> None:
        plan = json.dumps({"remove": [str(p) for p in remove], "landing": str(landing)})
        fds = (lock_fd,) if lock_fd is not None else ()
        self.process = subprocess.Popen([sys.executable, "-m", "netmob_tor.build_janitor", plan], stdin=subprocess.PIPE,
                                        start_new_session=True, pass_fds=fds, text=True)

    def tell(self, line: str) -> None:
        """Send one line (`worker <pid>` or `done`)."""
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def done(self) -> None:
        """The build cleaned up itself: the janitor exits without touching anything."""
        self.tell("done")
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


class Interrupted(Exception):
    """The build received SIGINT, SIGTERM or SIGHUP."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


PREAMBLE = ("Running with dbt", "Registered adapter", "Found ", "Concurrency:", "Unable to do partial parsing",
            "Performance info", "Finished running", "1 of 1 START hook", "1 of 1 OK hook")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
TIMESTAMP = re.compile(r"^\d\d:\d\d:\d\d\s*")


def relay(line: str, state: dict[str, Any]) -> None:
    """`--progress`: a bar (or a line per tenth) for dbt's per-node lines, echoed only when a node errs, fails
    or warns; dbt's preamble dropped; every other line (errors, failing rows, the final summary) as dbt printed it."""
    text = TIMESTAMP.sub("", ANSI.sub("", line.rstrip()))
    if text.startswith("netmob-tor build: step") and state.get("bar") is not None:
        state.pop("bar").done()
    found = re.match(r"(\d+) of (\d+) (START|OK|PASS|ERROR|FAIL|WARN|SKIP|NO-OP)\b", text)
    if found and " hook" in text:
        return
    if found:
        _, total, status = found.groups()
        if state.get("bar") is None or state["bar"].total != int(total):
            state["bar"] = Progress(int(total), "dbt build")
        if status != "START":
            state["bar"].step()
            if status in ("ERROR", "FAIL", "WARN"):
                print(line.rstrip(), flush=True)
        return
    if text.strip() and not text.startswith(PREAMBLE):
        print(line.rstrip(), flush=True)


def run_dbt(steps: Sequence[Sequence[str]], env: dict[str, str], janitor: Janitor, progress: bool = False) -> int:
    """The `dbt build` of each argument list of `steps`, one after the other in one child process
    (netmob_tor.build_steps: dbt started once) that dies with this process; a signal here stops it and
    raises Interrupted. The child's exit code: 0 when every step succeeded.

    The child has its own process group, so a Ctrl-C at the terminal reaches this process only, which ends the
    child with SIGTERM (quietly: Python's default) rather than leaving dbt to print an interrupted traceback."""
    output = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True} if progress else {}
    command = [sys.executable, "-m", "netmob_tor.build_steps", json.dumps([list(a) for a in steps])]
    child = subprocess.Popen(command, cwd=project_root(), env=env, preexec_fn=die_with_parent, process_group=0,
                             **output)
    janitor.tell(f"worker {child.pid}")
    received: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        received.append(signum)
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        try:
            if progress:
                state: dict[str, Any] = {}
                assert child.stdout is not None
                for line in child.stdout:
                    relay(line, state)
                if state.get("bar"):
                    state["bar"].done()
            code = child.wait(timeout=None)
        finally:
            if received and child.poll() is None:
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:
        raise Interrupted(received[0])
    return code


def merged_vars(dbt_args: list[str], extra: dict[str, Any]) -> list[str]:
    """`dbt_args` with `extra` overlaid on its --vars (added when absent)."""
    args = list(dbt_args)
    given = parse_vars_option(args)
    if "--vars" in args:
        args[args.index("--vars") + 1] = json.dumps({**given, **extra}, default=str)
    elif extra:
        args += ["--vars", json.dumps(extra)]
    return args


def absolute_data_root(dbt_args: list[str]) -> list[str]:
    """`dbt_args` with var data_root made absolute (relative to the folder the command was typed in; the
    default, data/embedded, to the project), so that the warehouse's views and records name the files
    wherever they are read from."""
    from netmob_tor.params import project_vars

    given = parse_vars_option(dbt_args)
    root = given.get("data_root")
    base = Path.cwd() if root is not None else project_root()
    root = Path(str(root if root is not None else project_vars()["data_root"])).expanduser()
    return merged_vars(dbt_args, {"data_root": str(root if root.is_absolute() else (base / root).resolve())})


def profile_steps(dbt_args: list[str], all_profiles: bool) -> list[list[str]]:
    """The dbt build argument lists of one build: the user's, then with --all-profiles each of the
    `profile_builds` of dbt_project.yml (the processing-profile-dependent models in their own schema)."""
    dbt_args = absolute_data_root(dbt_args)
    steps = [list(dbt_args)]
    if all_profiles:
        from netmob_tor.params import project_vars

        selection = [a for a in dbt_args if a not in ("--full-refresh",)]
        if any(a in ("--select", "-s", "--selector", "--exclude") for a in selection):
            raise UserError("--all-profiles builds the whole project, then each profile's models: drop --select/--selector/--exclude")
        for vars_ in project_vars().get("profile_builds") or []:
            steps.append(merged_vars([*selection, "--selector", "processing_profile_dependent"], dict(vars_)))
    return steps


def swap_build(dbt_args: list[str], database: Path | None = None, wait: bool = True, all_profiles: bool = False,
               progress: bool = False) -> int:
    """Run the build's dbt steps on a private copy of `database` under the build lock and swap it in when all succeed."""
    database = (database or default_database()).absolute()
    landing = landing_path(database)
    steps = profile_steps(dbt_args, all_profiles)
    for args in steps:
        check_vars(parse_vars_option(args))
    lock = BuildLock(database)
    lock.acquire(wait=wait)
    try:
        remove_leftovers(database)
        check_no_outside_writer(database)
        check_landing_free(landing, wait)
        staging, spill = staging_path(database), temp_dir(database)
        janitor = Janitor([staging, wal_path(staging), spill, lock.path], landing, lock.fd)
        try:
            return build_steps(steps, database, landing, staging, spill, janitor, progress)
        finally:
            for leftover in (staging, wal_path(staging)):
                leftover.unlink(missing_ok=True)
            shutil.rmtree(spill, ignore_errors=True)
            janitor.done()
    finally:
        lock.release()


def build_steps(steps: list[list[str]], database: Path, landing: Path, staging: Path, spill: Path, janitor: Janitor,
                progress: bool = False) -> int:
    """Copy the warehouse, run each dbt step on the copy, swap it in when all succeed; dbt's exit code."""
    try:
        if database.exists():
            shutil.copyfile(database, staging)
        spill.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        if error.errno in DISK_ERRORS:
            raise UserError(disk_message(error, "copying the warehouse", database)) from None
        raise
    env = {**os.environ, "NETMOB_TOR_DB": str(staging), "NETMOB_TOR_LANDING": str(landing), "NETMOB_TOR_TEMP_DIR": str(spill),
           "DBT_PROFILES_DIR": os.environ.get("DBT_PROFILES_DIR", str(project_root()))}
    try:
        code = run_dbt(steps, env, janitor, progress)
        if code != 0:
            fold_wal(str(landing))
            print(f"netmob-tor build: dbt build failed (exit {code}); the warehouse {database} is unchanged", file=sys.stderr)
            return code
    except Interrupted as stop:
        fold_wal(str(landing))
        print(f"netmob-tor build: stopped by {stop}; the warehouse {database} is unchanged", file=sys.stderr)
        return 128 + stop.signum
    if not staging.exists():
        print("netmob-tor build: dbt wrote nothing; the warehouse is unchanged", file=sys.stderr)
        return 0
    try:
        os.replace(staging, database)
    except OSError as error:
        raise UserError(disk_message(error, "swapping the new warehouse in", database)) from None
    print(f"netmob-tor build: swapped the new warehouse in: {database} (landing {landing.name} updated in place)")
    return 0


BUILD_OPTIONS = {"--no-wait": "stop at once if another command is writing the warehouse (default: wait for it)",
                 "--all-profiles": "then build each processing profile of dbt_project.yml's `profile_builds` into its own "
                                   "schema, from the same copy, swapped in once (what `make build` runs)",
                 "--progress": "a progress bar (a line per tenth in a log) instead of dbt's line per model; errors, "
                               "warnings and failing rows are printed as dbt prints them (the full log: logs/dbt.log)"}


def main_build(argv: list[str]) -> int:
    """Entry point of `netmob-tor build [--no-wait] [--all-profiles] [dbt build options]`."""
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__.strip())
        print("\nusage: netmob-tor build [--no-wait] [--all-profiles] [any `dbt build` option, e.g. --vars '{data_root: /path}' --select ...]")
        for option, text in BUILD_OPTIONS.items():
            print(f"  {option:<15} {text}")
        print(f"warehouse: {default_database()} (NETMOB_TOR_DB overrides); landing: {landing_path(default_database())}")
        return 0
    options = [a for a in argv if a in BUILD_OPTIONS]
    rest = [a for a in argv if a not in BUILD_OPTIONS]
    return swap_build(rest, wait="--no-wait" not in options, all_profiles="--all-profiles" in options,
                      progress="--progress" in options)
