"""The documentation runs: every shell block of README.md and docs/*.md, run as written (marker readme).

Each block is run with bash from the project folder, the commands as a newcomer types them, after the
built warehouse (make build). Placeholders become real folders: `/path/to/data` a data folder as a user
has it (generated in the real layout, without the generator's marker), `/path/to/folder` a city outside
the study, `/path/to/converted` an empty folder. `NETMOB_TOR_DB` points every block at a scratch warehouse:
a copy of the built one per page (or an empty one), so no block changes the project's warehouse.

A comment just before a block steers it: `<!-- readme-test: skip: <why it cannot run here> -->`, or
`<!-- readme-test: warehouse=empty data=<name> -->` (the data folders below). A block fails the test when
it exits non-zero or prints a Python traceback. Exploratory area-level data: no individual or causal meaning.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from netmob_tor.paths import default_database, landing_path, project_root

pytestmark = pytest.mark.readme

PAGES = [project_root() / "README.md", *sorted((project_root() / "docs").glob("*.md"))]
FENCE = re.compile(r"(?:<!--\s*readme-test:(?P<directive>.*?)-->\s*\n)?```(?P<lang>sh|bash|shell)\n(?P<body>.*?)```", re.S)


@dataclass(frozen=True)
class Block:
    """One shell block of a page, with its directive."""

    page: str
    number: int
    body: str
    options: dict[str, str] = field(default_factory=dict)
    skip: str = ""

    @property
    def id(self) -> str:
        """page:number, e.g. README.md:2."""
        return f"{self.page}:{self.number}"


def blocks() -> list[Block]:
    """Every shell block of the documentation, in page order."""
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for number, match in enumerate(FENCE.finditer(text), start=1):
            directive = (match.group("directive") or "").strip()
            skip = directive.removeprefix("skip:").strip() if directive.startswith("skip:") else ""
            options = dict(item.split("=", 1) for item in directive.split() if "=" in item) if not skip else {}
            found.append(Block(str(page.relative_to(project_root())), number, match.group("body"), options, skip))
    return found


def write_xlsx(csv_path: Path, xlsx_path: Path) -> None:
    """A `;`-separated export saved as an xlsx workbook (sheet `Data`), as INSEE's site offers it."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data"
    for line in csv_path.read_text(encoding="utf-8").splitlines():
        sheet.append(line.split(";"))
    book.save(xlsx_path)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The data folders placeholders stand for, each as a user has it (no generator marker)."""
    from netmob_tor.synth.generate import GENERATED_MARKER, generate

    base = tmp_path_factory.mktemp("readme")
    dijon = base / "dijon-77"
    generate(dijon, seed=41, cities=["Dijon"], scale=60)  # the whole study period: a build needs every day
    (dijon / GENERATED_MARKER).unlink()
    xlsx = base / "dijon-77-xlsx"
    shutil.copytree(dijon, xlsx)
    csv = xlsx / "insee" / "indicateurs_communes.csv"
    write_xlsx(csv, csv.with_suffix(".xlsx"))
    csv.unlink()
    from test_any_city import write_tiny_city

    tiny = base / "tiny-city"
    write_tiny_city(tiny)
    return {"dijon-77": dijon, "dijon-77-xlsx": xlsx, "tiny-city": tiny, "work": base}


@pytest.fixture(scope="module")
def scratch(folders: dict[str, Path]) -> dict[str, Path]:
    """Per page, a copy of the built warehouse and its landing (made on first use)."""
    return {}


def warehouse_for(block: Block, folders: dict[str, Path], scratch: dict[str, Path]) -> Path:
    """The scratch warehouse a block runs against: its page's copy of the built one, or an empty folder of its own."""
    built = default_database()
    if not built.exists():
        pytest.fail(f"{built} is missing: run `make build` (make test-readme does) first")
    if block.options.get("warehouse") == "empty":
        folder = folders["work"] / f"empty-{block.page.replace('/', '_')}-{block.number}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / "netmob_tor.duckdb"
    if block.page not in scratch:
        folder = folders["work"] / f"copy-{block.page.replace('/', '_')}"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / built.name
        shutil.copyfile(built, target)
        shutil.copyfile(landing_path(built), landing_path(target))
        scratch[block.page] = target
    return scratch[block.page]


def script(block: Block, folders: dict[str, Path]) -> str:
    """The block's text with its placeholders replaced by real folders."""
    text = block.body
    data = folders[block.options.get("data", "dijon-77")]
    converted = folders["work"] / f"converted-{block.number}"
    for placeholder, path in (("/path/to/converted", converted), ("/path/to/data", data), ("/path/to/folder", folders["tiny-city"])):
        text = text.replace(placeholder, str(path))
    return text


@pytest.mark.parametrize("block", blocks(), ids=lambda b: b.id)
def test_documented_block_runs(block: Block, folders: dict[str, Path], scratch: dict[str, Path]) -> None:
    if block.skip:
        pytest.skip(f"{block.id}: {block.skip}")
    database = warehouse_for(block, folders, scratch)
    env = {**os.environ, "NETMOB_TOR_DB": str(database), "DBT_USE_COLORS": "false", "DBT_PROFILES_DIR": str(project_root())}
    done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script(block, folders)], cwd=project_root(), env=env,
                          capture_output=True, text=True, timeout=1800)
    shown = f"--- {block.id}\n{block.body}\n--- stdout\n{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-4000:]}"
    assert done.returncode == 0, shown
    assert "Traceback (most recent call last)" not in done.stdout + done.stderr, shown


def test_every_block_is_run_or_says_why_not() -> None:
    """The parser finds the blocks (a page cannot hide one in another fence), and a skipped block gives its reason."""
    found = blocks()
    assert len(found) >= 10
    for block in found:
        assert block.skip or not block.body.strip().startswith("make demo"), f"{block.id} would rebuild the project itself"
    assert all(len(b.skip) > 20 for b in found if b.skip)


def test_a_broken_command_fails_the_block(folders: dict[str, Path], scratch: dict[str, Path], tmp_path: Path) -> None:
    """The runner catches a documented command that no longer works (a misspelt subcommand, a wrong option)."""
    for body in (".venv/bin/netmob-tor sumary\n", ".venv/bin/netmob-tor sql --no-such-option 'select 1'\n"):
        broken = Block("docs/broken.md", 1, body)
        database = warehouse_for(Block("docs/broken.md", 1, body, {"warehouse": "empty"}), folders, scratch)
        env = {**os.environ, "NETMOB_TOR_DB": str(database)}
        done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script(broken, folders)], cwd=project_root(), env=env,
                              capture_output=True, text=True)
        assert done.returncode != 0
