"""The fault suite: each traffic fault of docs/bad-input.md, written into a copy of a
clean two-day Dijon set, gives the outcome the table states: the build stops with a message that
names the file, day or tile, or sets the lines aside with a warning (and flags the commune); a
harmless variant (CRLF) changes nothing. Each case goes through `netmob-tor doctor`, which reads
every line with the build's own models and tests (a dbt build into a scratch database), so doctor
and the build agree by construction; the other cases of the table (reloads, an open reader, a
failed build, two builds, Latin-1, lost zeros) are tested in test_incremental, test_swap_build,
test_oracle_profiles, test_doctor and test_real_formats.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from netmob_tor.doctor import Finding, doctor
from netmob_tor.synth.generate import generate

DAYS = [dt.date(2019, 4, 1), dt.date(2019, 4, 2)]
TOR = Path("Dijon/Tor/20190401/Dijon_Tor_20190401_DL.txt")


def path_of(service: str, day: str) -> Path:
    """The Dijon traffic file of a service and day (YYYYMMDD)."""
    return Path("Dijon") / service / day / f"Dijon_{service}_{day}_DL.txt"


def edit_line(root: Path, file: Path, index: int, change: Callable[[list[str]], list[str]]) -> None:
    """Rewrite one line of a traffic file, split on spaces."""
    lines = (root / file).read_text().splitlines()
    lines[index] = " ".join(change(lines[index].split(" ")))
    (root / file).write_text("\n".join(lines) + "\n")


def set_field(fields: list[str], position: int, value: str) -> list[str]:
    """The fields with one replaced."""
    return [*fields[:position], value, *fields[position + 1:]]


def drop_line(root: Path, file: Path) -> None:
    """A tile's line removed from a file."""
    lines = (root / file).read_text().splitlines()
    (root / file).write_text("\n".join(lines[:3] + lines[4:]) + "\n")


def repeat_line(root: Path, file: Path) -> None:
    """A tile's line written twice."""
    lines = (root / file).read_text().splitlines()
    (root / file).write_text("\n".join(lines + [lines[0]]) + "\n")


def city_without_grid(root: Path) -> None:
    """Traffic files of a second city that has no grid file."""
    for path in (root / "Dijon").glob("*/*/*_DL.txt"):
        target = root / "Nogrid" / path.relative_to(root / "Dijon").parent / path.name.replace("Dijon", "Nogrid")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)


def stray_folder(root: Path) -> None:
    """A backup copy of a day folder left beside it (Nancy/Tor/20190401.bak/...)."""
    shutil.copytree(root / TOR.parent, root / TOR.parent.with_name("20190401.bak"))


def set_token(root: Path, file: Path, index: int, token: str) -> None:
    """The 6th value of line `index` of a file replaced by `token`."""
    edit_line(root, file, index, lambda f: set_field(f, 6, token))


def day_total_over(root: Path, file: Path, value: str) -> None:
    """Every value of a file's first line set to `value`: its day total passes the landed type's range."""
    edit_line(root, file, 0, lambda f: [f[0], *[value] * (len(f) - 1)])


def crlf(root: Path) -> None:
    """Windows line ends."""
    (root / TOR).write_bytes((root / TOR).read_bytes().replace(b"\n", b"\r\n"))


# case -> (corruption, outcome: 'stop' | 'set aside' | 'clean', text the finding must contain). The
# set-aside faults touch different files and do not stop a build, so they share one data folder;
# each other case has its own.
CASES: dict[str, tuple[Callable[[Path], None], str, str]] = {
    "truncated line": (lambda r: edit_line(r, TOR, 0, lambda f: f[:-1]), "set aside", "expected 96 quarter-hour values, found 95"),
    "97 values": (lambda r: edit_line(r, path_of("Web_Adult", "20190401"), 1, lambda f: [*f, "7"]), "set aside",
                  "expected 96 quarter-hour values, found 97"),
    "negative value": (lambda r: edit_line(r, path_of("YouTube", "20190401"), 2, lambda f: set_field(f, 9, "-4")), "set aside",
                       "negative traffic value"),
    "empty value": (lambda r: edit_line(r, path_of("Tor", "20190402"), 2, lambda f: set_field(f, 9, "")), "set aside",
                    "empty quarter-hour value"),
    "tile absent": (lambda r: drop_line(r, path_of("Web_Adult", "20190402")), "set aside", "grid tile(s) absent from"),
    "98 values": (lambda r: edit_line(r, TOR, 1, lambda f: [*f, "7", "8"]), "stop", "Dijon_Tor_20190401_DL.txt"),
    "abc token": (lambda r: edit_line(r, TOR, 2, lambda f: set_field(f, 9, "abc")), "set aside",
                  'value "abc" is not a plain non-negative whole number'),
    "N/A token": (lambda r: edit_line(r, TOR, 2, lambda f: set_field(f, 9, "N/A")), "stop", "N/A"),
    # Tokens DuckDB's cast would read as another number (12.5 -> 13, 1e-05 -> 0, 0x1F -> 31, 1_000 -> 1000), in a
    # file other than the first of its service (the first ones decide the landed type, traffic_value_type auto).
    "12.5 in a whole-number file": (lambda r: set_token(r, path_of("Tor", "20190402"), 0, "12.5"), "set aside",
                                    'value "12.5" is not a plain non-negative whole number'),
    "1e-05": (lambda r: set_token(r, path_of("YouTube", "20190402"), 0, "1e-05"), "set aside",
              'value "1e-05" is not a plain non-negative whole number'),
    "0x1F": (lambda r: set_token(r, path_of("Web_Adult", "20190402"), 0, "0x1F"), "set aside",
             'value "0x1F" is not a plain non-negative whole number'),
    "1_000": (lambda r: set_token(r, path_of("Web_Adult", "20190402"), 1, "1_000"), "set aside",
              'value "1_000" is not a plain non-negative whole number'),
    "tile id 0x1F": (lambda r: edit_line(r, path_of("Tor", "20190402"), 0, lambda f: set_field(f, 0, "0x1F")), "stop",
                     'tile id "0x1F" is not a plain whole number in'),
    # (an INTEGER overflow needs the INTEGER type, chosen from small sampled values: test_value_type.py)
    "BIGINT overflow": (lambda r: day_total_over(r, path_of("Tor", "20190402"), "4000000000000000000"), "stop",
                        "too large to add up"),
    "stray folder": (stray_folder, "stop", "match the traffic files' pattern but not their layout"),
    "repeated tile": (lambda r: repeat_line(r, TOR), "stop", "appears 2 times in"),
    "missing day": (lambda r: shutil.rmtree(r / "Dijon" / "Web_Adult" / "20190402"), "stop", "no Web_Adult file for Dijon on 2019-04-02"),
    "empty file": (lambda r: (r / TOR).write_text(""), "stop", "empty traffic file (0 bytes)"),
    "city without grid": (city_without_grid, "stop", "but no grid file grid/Nogrid.geojson"),
    "CRLF line ends": (crlf, "clean", ""),
}


def folder_of(case: str) -> str:
    """The data folder a case is written into (the set-aside cases share one)."""
    return "set_aside" if CASES[case][1] == "set aside" else case.replace(" ", "_")


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Finding]]:
    """doctor's findings (every line, the build's rules) for each data folder, two builds at a time."""
    base = tmp_path_factory.mktemp("faults")
    clean = base / "clean"
    generate(clean, seed=9, cities=["Dijon"], days="2019-04-01:2019-04-02", scale=60)
    folders = sorted({folder_of(case) for case in CASES})
    for folder in folders:
        shutil.copytree(clean, base / folder)
    for case, (corrupt, _, _) in CASES.items():
        corrupt(base / folder_of(case))

    def one(folder: str) -> tuple[str, list[Finding]]:
        return folder, doctor(base / folder, DAYS, every_line=True)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, folders))


@pytest.mark.parametrize("case", list(CASES))
def test_fault_outcome(outcomes: dict[str, list[Finding]], case: str) -> None:
    _, outcome, text = CASES[case]
    findings = [f for f in outcomes[folder_of(case)] if f.status != "ok"]
    problems = [f for f in findings if f.is_problem]
    shown = "\n".join(f.line() for f in findings)
    if outcome == "stop":
        assert problems, f"{case}: the build should stop\n{shown}"
        assert any(text in f.message for f in problems), f"{case}: no finding names {text!r}\n{shown}"
    elif outcome == "set aside":
        assert not problems, f"{case}: the build should not stop\n{shown}"  # none of the set-aside faults stops it
        assert any(f.status == "warning" and text in f.message for f in findings), f"{case}: no warning names {text!r}\n{shown}"
    else:
        assert not findings, f"{case}: nothing should be reported\n{shown}"
