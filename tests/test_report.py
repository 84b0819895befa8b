"""The study report: built from the warehouse, opened in headless Chromium (no network).

Every image must load, every table must have rows, and the page text must hold no tile id and no
coordinate. The browser check is itself checked on a page with a broken image and an empty table.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from netmob_tor import CAUTION
from netmob_tor.paths import default_data_root
from netmob_tor.report import build_report, describe_data_source

CHECK_SCRIPT = """
<script>
window.addEventListener('load', function () {
  var images = Array.from(document.images).map(function (i) {
    return {src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0};
  });
  var tables = Array.from(document.querySelectorAll('table')).map(function (t) {
    return t.tBodies.length ? t.tBodies[0].rows.length : 0;
  });
  var text = document.body.innerText;
  var out = document.createElement('pre');
  out.id = 'report-check';
  out.textContent = JSON.stringify({images: images, tables: tables, text: text});
  document.body.appendChild(out);
});
</script>
"""
# Decimal-degree pairs (a 100 m tile needs 4+ decimals), WKT and GeoJSON geometry, French latitudes.
COORDINATE_PATTERNS = [
    re.compile(r"-?\d{1,3}\.\d{4,}\s*[,;]\s*-?\d{1,3}\.\d{4,}"),
    re.compile(r"\b(POINT|POLYGON|MULTIPOLYGON|LINESTRING)\s*\(", re.IGNORECASE),
    re.compile(r'"coordinates"'),
    re.compile(r"\b(4[1-9]|5[01])\.\d{4,}"),
]
TILE_PATTERNS = [re.compile(r"tile[_ ]?id", re.IGNORECASE), re.compile(r"\btile\s*#?\s*\d+", re.IGNORECASE)]


def chromium_binary() -> str:
    """The Debian chromium (installed by make test and .ci/run)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("chromium is not installed: `apt-get install -y chromium` (make test does it)")
    return found


def browser_check(page: Path, profile: Path) -> dict:
    """Open a copy of `page` with the check script in headless Chromium; return images, table rows and text."""
    probe = page.with_name("_check_" + page.name)
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", CHECK_SCRIPT + "</body>"), encoding="utf-8")
    command = [
        chromium_binary(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
        "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}",
        "--virtual-time-budget=15000", "--dump-dom", probe.resolve().as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    match = re.search(r'<pre id="report-check">(.*?)</pre>', done.stdout, re.DOTALL)
    assert match, f"the check script did not run (chromium exit {done.returncode}): {done.stderr[-800:]}"
    return json.loads(html.unescape(match.group(1)))


@pytest.fixture(scope="session")
def report_dir(warehouse: duckdb.DuckDBPyConnection, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report built from the warehouse into a temporary folder."""
    out = tmp_path_factory.mktemp("report")
    build_report(warehouse, out, describe_data_source(default_data_root()))
    return out


@pytest.fixture(scope="session")
def checked(report_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """What headless Chromium saw in report/index.html."""
    return browser_check(report_dir / "index.html", tmp_path_factory.mktemp("chromium-profile"))


def test_every_image_loads(checked: dict, warehouse: duckdb.DuckDBPyConnection) -> None:
    """Heatmaps, the hourly profiles, one map per urban area, the national chart: all decoded by the browser."""
    n_cities = warehouse.execute("select count(distinct city) from commune_summary").fetchone()[0]
    sources = [i["src"] for i in checked["images"]]
    assert len([s for s in sources if "/map_" in s]) == n_cities
    assert len([s for s in sources if "/heatmap_" in s]) == 5
    assert any("national_context" in s for s in sources)
    broken = [i["src"] for i in checked["images"] if not i["ok"]]
    assert not broken, f"images that did not load: {broken}"


def test_every_table_has_rows(checked: dict) -> None:
    """No empty table on the page."""
    assert len(checked["tables"]) >= 5
    assert all(n > 0 for n in checked["tables"]), checked["tables"]


def test_no_tile_or_coordinate_in_text(checked: dict, warehouse: duckdb.DuckDBPyConnection) -> None:
    """Communes only: no tile id, no coordinate, no bare long integer in the page text."""
    text = checked["text"]
    for pattern in COORDINATE_PATTERNS + TILE_PATTERNS:
        assert not pattern.search(text), f"{pattern.pattern!r} found: {pattern.search(text).group(0)!r}"
    top_ids = {str(r[0]) for r in warehouse.execute("select distinct tile_id from int_tiles__top_traffic").fetchall()}
    words = set(re.findall(r"\b\d+\b", text))
    assert not (words & {t for t in top_ids if len(t) >= 6})
    assert not re.search(r"(?<![\d,.])\d{6,}(?![\d,])", text), "a bare integer of 6+ digits (tile id?) in the text"


def test_header_caution_and_flags(checked: dict, warehouse: duckdb.DuckDBPyConnection) -> None:
    """Data source in the header, the caution, the small-population flag; each study table shown or named as missing."""
    text = checked["text"]
    assert "Data source:" in text and "synthetic" in text
    assert CAUTION in text
    n_small = warehouse.execute("select count(*) filter (where is_small_population) from commune_summary").fetchone()[0]
    assert f"{n_small:,} communes have fewer than" in text
    assert "Study parameters" in text
    present = {r[0] for r in warehouse.execute("select table_name from information_schema.tables").fetchall()}
    for table, caption in (("analysis_correction_factor_summary", "Table 1."), ("analysis_correlations", "Table 2."),
                           ("analysis_regressions", "Table 3.")):
        if table in present:
            assert caption in text
        else:
            assert table in text  # named as missing


def test_browser_check_detects_failures(tmp_path: Path) -> None:
    """The check itself: a missing image, an empty table, a tile id and a coordinate are all caught."""
    page = tmp_path / "index.html"
    page.write_text('<!DOCTYPE html><html><body><img src="missing.png" alt="x"><table><tbody></tbody></table>'
                    "<p>tile_id 123456 at 45.76412, 4.83566</p></body></html>", encoding="utf-8")
    seen = browser_check(page, tmp_path / "profile")
    assert [i["ok"] for i in seen["images"]] == [False]
    assert seen["tables"] == [0]
    assert TILE_PATTERNS[0].search(seen["text"])
    assert COORDINATE_PATTERNS[0].search(seen["text"]) and COORDINATE_PATTERNS[3].search(seen["text"])


def test_report_names_missing_tables(tmp_path: Path) -> None:
    """On an empty warehouse the report still builds, says what is missing and what it could not render."""
    con = duckdb.connect()
    con.execute("create table analysis_correlations as select 'x' as unexpected_column")  # a table of another shape
    page = build_report(con, tmp_path / "empty", "nothing")
    text = page.read_text(encoding="utf-8")
    assert "Not available in this warehouse" in text
    assert "Table 2 could not be rendered" in text
    for name in ("commune_summary", "heatmap_weekday_hour", "national_context", "analysis_correction_factor_summary"):
        assert name in text


def test_data_quality_lists_the_flagged_communes_only() -> None:
    """The data-quality section names the communes with set-aside lines (commune, code, city, count, reasons), no tile."""
    from netmob_tor.report.build import _data_quality

    con = duckdb.connect()
    con.execute("""create table commune_summary as select * from (values
        ('Alpha', '21001', 'Dijon', 3, 0.01, 'negative traffic value; tile absent from file', true, true),
        ('Beta', '21002', 'Dijon', 0, 0.0, null, false, true)
    ) as t(commune_name, commune_code, city, n_lines_set_aside, share_lines_set_aside, set_aside_reasons, has_set_aside_lines,
           is_study_commune)""")
    page = _data_quality(con, {"commune_summary"})
    assert "1 communes" in page and "Alpha" in page and "21001" in page and "tile absent from file" in page
    assert "Beta" not in page
    con.execute("update commune_summary set has_set_aside_lines = false")
    assert "No traffic line" in _data_quality(con, {"commune_summary"})
