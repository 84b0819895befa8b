"""The study report: built from the warehouse, opened in headless Chromium (no network).

Every image must load, every table must have rows, and the page text must hold no tile id and no
coordinate. The browser check is itself checked on a page with a broken image and an empty table.
The interactive map must draw every commune of the urban area picked in its list, and pointing at a
commune must show that commune's figures as the marts hold them (and on hand-made communes, as
worked out by hand); its polygons live only inside <script> elements.
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
from netmob_tor.params import study_parameters
from netmob_tor.provenance import caveat, describe, read_data_source
from netmob_tor.report import build_report
from netmob_tor.report.build import source_sentence
from netmob_tor.report.interactive_map import render as render_map
from netmob_tor.report.numbers import GROUP, NUMBER_FORMAT, fmt, interval
from test_provenance import data_source_table

CHECK_SCRIPT = """
<script>
// The interactive map (report.interactive_map): once Vega has drawn it, point at every commune of the first
// urban area and keep the tooltip's text, then pick the last urban area in the list and count its communes.
function probeMap(view) {
  var root = document.getElementById('cpc-map');
  var shapes = function () { return Array.from(root.querySelectorAll('g.mark-shape path')); };
  var select = root.querySelector('select');
  var hovered = shapes().map(function (path) {
    var box = path.getBoundingClientRect();
    var init = {bubbles: true, clientX: box.left + box.width / 2, clientY: box.top + box.height / 2};
    path.dispatchEvent(new PointerEvent('pointerover', init));
    path.dispatchEvent(new PointerEvent('pointermove', init));
    var tip = document.getElementById('vg-tooltip-element');
    return tip && tip.classList.contains('visible') ? tip.innerText : null;
  });
  var first = {city: select.value, n_paths: shapes().length,
               n_filled: shapes().filter(function (p) { return /^(#|rgb)/.test(p.getAttribute('fill') || ''); }).length,
               areas: shapes().map(function (p) { var b = p.getBBox(); return b.width * b.height; }), hovered: hovered};
  select.selectedIndex = select.options.length - 1;
  select.dispatchEvent(new Event('change'));
  return view.runAsync().then(function () {
    return {options: Array.from(select.options).map(function (o) { return o.value; }), first: first,
            last: {city: select.value, n_paths: shapes().length}, svg_text: root.querySelector('svg').textContent,
            svg_texts: Array.from(root.querySelectorAll('svg text')).map(function (t) { return t.textContent; })};
  });
}
window.addEventListener('load', function () {
  function report(map) {
    var images = Array.from(document.images).map(function (i) {
      return {src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0};
    });
    var tables = Array.from(document.querySelectorAll('table')).map(function (t) {
      return t.tBodies.length ? t.tBodies[0].rows.length : 0;
    });
    var text = document.body.innerText;
    var sections = Array.from(document.querySelectorAll('section')).map(function (s) { return s.id; });
    var out = document.createElement('pre');
    out.id = 'report-check';
    out.textContent = JSON.stringify({images: images, tables: tables, text: text, map: map, sections: sections});
    document.body.appendChild(out);
  }
  if (!window.cpcMapReady) { report(null); return; }
  window.cpcMapReady.then(probeMap).then(report, function (error) { report({error: String(error)}); });
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


# The browser window: a common laptop width (the page's own max-width is 1180 px).
WINDOW = "1280,900"


def browser_check(page: Path, profile: Path, script: str = CHECK_SCRIPT, window: str = WINDOW) -> dict:
    """Open a copy of `page` with `script` (the check script by default) in a headless Chromium window of `window`
    pixels; return the JSON the script wrote in <pre id="report-check"> (by default images, table rows, text, the map's probe)."""
    probe = page.with_name("_check_" + page.name)
    head, body_end, tail = page.read_text(encoding="utf-8").rpartition("</body>")  # the last one: the inlined bundle holds the string too
    assert body_end, f"{page} has no </body>"
    probe.write_text(head + script + body_end + tail, encoding="utf-8")
    command = [
        chromium_binary(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
        "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}", f"--window-size={window}",
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
    build_report(warehouse, out)
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
    """The warehouse's own data source in the header, the caution, the small-population flag; each study table shown
    or named as missing."""
    text = checked["text"]
    assert f"Data source: {source_sentence(read_data_source(warehouse))}." in text
    assert CAUTION in text
    n_small = warehouse.execute("select count(*) filter (where is_small_population) from commune_summary").fetchone()[0]
    assert f"{fmt(n_small)} communes have fewer than" in text
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
    page = build_report(con, tmp_path / "empty")
    text = page.read_text(encoding="utf-8")
    assert "Not available in this warehouse" in text
    assert "data source not recorded in this warehouse (built before provenance was recorded): rebuild" in text
    assert "Table 2 could not be rendered" in text
    for name in ("commune_summary", "heatmap_weekday_hour", "national_context", "analysis_correction_factor_summary"):
        assert name in text


@pytest.mark.parametrize("kind", ["synthetic", "real"])
def test_header_names_the_warehouse_source(tmp_path: Path, kind: str) -> None:
    """The header's data source and caveat are the warehouse's (main.data_source), of either kind; no folder is asked for."""
    con = duckdb.connect()
    data_source_table(con, kind)
    text = html.unescape(build_report(con, tmp_path / kind).read_text(encoding="utf-8"))
    header = re.search(r'<strong id="data-source">(.*?)</strong>\.\s*<span id="data-source-caveat">(.*?)</span>', text, re.DOTALL)
    source = read_data_source(con)
    assert header and header.group(1) == source_sentence(source) and header.group(2) == caveat(source)
    assert header.group(1).replace(GROUP, ",") == describe(source)  # provenance's sentence, counts regrouped
    if kind == "synthetic":
        assert header.group(1).startswith("synthetic data (netmob-tor generate, seed 20190316") and "not real traffic" in header.group(2)
    else:
        assert header.group(1).startswith("real files at /mnt/netmob") and header.group(2) == "" and "synthetic" not in header.group(1)


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


# The tooltip's rows, in order: nothing else may be shown on hover.
TOOLTIP_TITLES = ["Commune", "Code", "Population", "cpc per 1000", "95% interval, day-block bootstrap", "Small population"]
SCRIPT_ELEMENT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL | re.IGNORECASE)


def tooltip_rows(text: str) -> dict[str, str]:
    """The tooltip's title -> value pairs, from its innerText (one table row per field); fails on any other title."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    titles, values = lines[0::2], lines[1::2]
    assert titles == TOOLTIP_TITLES, f"tooltip rows {titles}, expected {TOOLTIP_TITLES}"
    return dict(zip(titles, values))


def map_communes(warehouse: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Per urban area: the study communes that have a polygon (what the map can draw)."""
    return dict(warehouse.execute(
        "select s.city, count(*) from commune_summary s inner join commune_boundaries b using (commune_code) "
        "where s.is_study_commune group by 1 order by 1").fetchall())


def test_interactive_map_draws_the_picked_urban_area(checked: dict, warehouse: duckdb.DuckDBPyConnection) -> None:
    """The list holds every urban area; the first is drawn whole and filled, the last once picked in the list."""
    seen = checked["map"]
    assert seen is not None and "error" not in seen, f"the interactive map did not render: {seen}"
    counts = map_communes(warehouse)
    cities = sorted(counts)
    assert seen["options"] == cities
    first, last = seen["first"], seen["last"]
    assert first["city"] == cities[0] and first["n_paths"] == counts[cities[0]] == first["n_filled"]
    assert last["city"] == cities[-1] and last["n_paths"] == counts[cities[-1]]
    assert min(first["areas"]) > 0


def test_interactive_map_hover_shows_the_marts_figures(checked: dict, warehouse: duckdb.DuckDBPyConnection) -> None:
    """Pointing at each commune of the first urban area shows its name, code, population, cpc per 1000, interval, flag."""
    seen = checked["map"]
    assert seen is not None and "error" not in seen, f"the interactive map did not render: {seen}"
    threshold = study_parameters(warehouse).small_population_threshold
    boot_columns = {r[0] for r in warehouse.execute(
        "select column_name from information_schema.columns where table_name = 'analysis_bootstrap_rho'").fetchall()}
    has_interval = "cpc_per_1000_ci_low" in boot_columns
    bounds = "b.cpc_per_1000_ci_low, b.cpc_per_1000_ci_high" if has_interval else "null, null"
    join = "left join analysis_bootstrap_rho b using (commune_code)" if has_interval else ""
    expected = {r[0]: r[1:] for r in warehouse.execute(
        f"select s.commune_code, s.commune_name, s.population, s.cpc_per_1000, s.population < ?, {bounds} "
        f"from commune_summary s {join} where s.is_study_commune and s.city = ?", [threshold, seen["first"]["city"]]).fetchall()}
    assert None not in seen["first"]["hovered"], "a commune showed no tooltip"
    rows = [tooltip_rows(text) for text in seen["first"]["hovered"]]
    assert sorted(r["Code"] for r in rows) == sorted(expected)
    for row in rows:
        name, population, cpc, small, low, high = expected[row["Code"]]
        assert row["Commune"] == name
        assert row["Population"] == fmt(population)
        assert row["cpc per 1000"] == fmt(float(cpc))  # as the report's tables print it
        assert row["95% interval, day-block bootstrap"] == (interval(low, high) if low is not None else "not computed (run netmob-tor analyze)")
        assert row["Small population"] == (f"yes: under {fmt(threshold)} inhabitants, a fragile estimate" if small else "no")


def test_interactive_map_geometry_only_inside_scripts(checked: dict, report_dir: Path) -> None:
    """The polygons are in the page (inside <script>) but nowhere else: not in the markup, the drawing's text or a tooltip."""
    page = (report_dir / "index.html").read_text(encoding="utf-8")
    assert '"coordinates"' in page, "the map's polygons are not embedded: the checks below would prove nothing"
    outside = SCRIPT_ELEMENT.sub("", page)
    seen = checked["map"]
    for text in [outside, seen["svg_text"], *seen["first"]["hovered"]]:
        for pattern in COORDINATE_PATTERNS + TILE_PATTERNS:
            assert not pattern.search(text), f"{pattern.pattern!r} found: {pattern.search(text).group(0)!r}"


def _square(lon: float, lat: float, clockwise: bool) -> str:
    """A 0.01-degree square commune as GeoJSON, wound as asked."""
    ring = [[lon, lat], [lon + 0.01, lat], [lon + 0.01, lat + 0.01], [lon, lat + 0.01], [lon, lat]]
    return json.dumps({"type": "Polygon", "coordinates": [ring[::-1] if clockwise else ring]})


def test_interactive_map_hand_made_communes(tmp_path: Path) -> None:
    """Three hand-made communes in two urban areas: the figures shown are the hand-worked ones, either winding draws.

    Alpha (counter-clockwise ring, as GeoJSON files wind) and Beta (clockwise) are equal squares, so they
    must be drawn the same size; a wrongly wound ring would be drawn as the rest of the globe.
    """
    import pandas as pd

    shapes = pd.DataFrame({
        "city": ["Aville", "Aville", "Bville"], "commune_code": ["21001", "21002", "69001"],
        "commune_name": ["Alpha", "Beta", "Gamma"], "population": [1234, 80, 50000],
        "cpc_per_1000": [12.3456, 1234.56, 7.0], "is_small_population": [False, True, False],
        "geojson": [_square(4.8312345, 45.7612345, False), _square(4.8412345, 45.7612345, True), _square(5.0, 46.0, False)],
    })
    intervals = pd.DataFrame({"commune_code": ["21001"], "cpc_per_1000_ci_low": [10.0004], "cpc_per_1000_ci_high": [15.5],
                              "level": [0.95], "replicates": [200]})
    page = tmp_path / "index.html"
    page.write_text(f"<!DOCTYPE html><html><body>{render_map(shapes, intervals, 500)}</body></html>", encoding="utf-8")
    seen = browser_check(page, tmp_path / "profile")["map"]
    assert seen is not None and "error" not in seen, seen
    assert seen["options"] == ["Aville", "Bville"] and seen["first"]["n_paths"] == 2 and seen["last"]["n_paths"] == 1
    areas = seen["first"]["areas"]
    assert 0 < max(areas) < 1.5 * min(areas), f"the two equal squares are drawn {areas}"
    rows = {r["Code"]: r for r in map(tooltip_rows, seen["first"]["hovered"])}
    # numbers as worked out by hand: a narrow no-break space groups thousands, 3 significant digits below 100
    assert rows["21001"] == {"Commune": "Alpha", "Code": "21001", "Population": "1\u202f234", "cpc per 1000": "12.3",
                             "95% interval, day-block bootstrap": "10.0 to 15.5", "Small population": "no"}
    assert rows["21002"] == {"Commune": "Beta", "Code": "21002", "Population": "80", "cpc per 1000": "1\u202f235",
                             "95% interval, day-block bootstrap": "not computed (run netmob-tor analyze)",
                             "Small population": "yes: under 500 inhabitants, a fragile estimate"}
    assert "45.76123" in page.read_text(encoding="utf-8") and "45.76123" not in SCRIPT_ELEMENT.sub("", page.read_text(encoding="utf-8"))


# A thousands separator a French reader would misread: 1,610 (one point six) or 1.610.000.
MISREADABLE_GROUPING = [re.compile(r"\d,\d{3}(?!\d)"), re.compile(r"\d\.\d{3}\.\d{3}")]
# A count printed with decimals (731.0000, 14.000; a correlation of 1.000 is not one).
WHOLE_WITH_DECIMALS = re.compile(r"(?<![\d.])([1-9]\d+\.0{3,}|[1-9]\.0{4,})(?!\d)")


def test_one_number_format(checked: dict) -> None:
    """Tables, captions, tooltips and the map's legend: the format is stated once, thousands grouped by a narrow
    space (never a comma or a point), counts without decimals."""
    text = checked["text"]
    assert text.count(NUMBER_FORMAT) == 1
    drawn = checked["map"] or {}
    seen = [text, *drawn.get("first", {}).get("hovered", []), *drawn.get("svg_texts", [])]
    for where in seen:
        for pattern in [*MISREADABLE_GROUPING, WHOLE_WITH_DECIMALS]:
            assert not pattern.search(where or ""), f"{pattern.pattern!r} found: {pattern.search(where).group(0)!r}"
    assert GROUP in text  # the grouping is in use (the embedded data have four-digit counts)
    if drawn:  # the map's colour legend: the labels numbers.tick writes
        assert f"1{GROUP}000" in drawn["svg_texts"] or "10" in drawn["svg_texts"], drawn["svg_texts"]


def test_every_interval_names_what_was_resampled(checked: dict, warehouse: duckdb.DuckDBPyConnection) -> None:
    """Each line that speaks of an interval says which bootstrap it is; Table 2's two intervals are reconciled."""
    lines = [line for line in checked["text"].split("\n") if "interval" in line.lower() and NUMBER_FORMAT not in line]
    assert lines
    unnamed = [line for line in lines if not re.search(r"day-block|over communes", line)]
    assert not unnamed, unnamed
    present = {r[0] for r in warehouse.execute("select table_name from information_schema.tables").fetchall()}
    if {"analysis_bootstrap_correlations", "analysis_sensitivity"} <= present:
        sentence = next(line for line in lines if line.startswith("Two intervals are given for the cpc ρ"))
        low, high = warehouse.execute("select ci_low, ci_high from analysis_sensitivity where is_study_profile").fetchone()
        day_low, day_high = warehouse.execute(
            "select ci_low, ci_high from analysis_bootstrap_correlations where predictor = 'log_cpc_per_1000'").fetchone()
        assert interval(day_low, day_high, 3) in sentence and interval(low, high, 3) in sentence
        assert "redraws whole days" in sentence and "redraws the communes themselves" in sentence and "wider" in sentence


def test_no_raw_dump_no_duplicate_table(report_dir: Path) -> None:
    """Every table once (no caption twice, the profile comparison only in its own section), and no raw line dumps."""
    page = SCRIPT_ELEMENT.sub("", (report_dir / "index.html").read_text(encoding="utf-8"))
    captions = [html.unescape(c) for c in re.findall(r"<caption>(.*?)</caption>", page, re.DOTALL)]
    assert len(captions) == len(set(captions)), sorted(c for c in captions if captions.count(c) > 1)
    assert "analysis_profile_comparison" not in page.split('<section id="profiles">')[0] + page.partition('<section id="beyond">')[2]
    assert not re.search(r"analysis_\w+</code>: [\d\s,\u202f]+ rows", page)
    assert "processing_profile" not in "".join(re.findall(r"<th>(.*?)</th>", page))


def test_table_of_contents_lists_every_section(report_dir: Path) -> None:
    """The contents link to every section, in page order, and each section links back."""
    page = SCRIPT_ELEMENT.sub("", (report_dir / "index.html").read_text(encoding="utf-8"))
    nav = re.search(r'<nav id="contents".*?</nav>', page, re.DOTALL)
    assert nav
    sections = re.findall(r'<section id="([^"]+)"', page)
    assert re.findall(r'href="#([^"]+)"', nav.group(0)) == sections
    assert page.count('href="#contents"') == len(sections)


# A Python format spec that prints a number (:.3f, :,, :.2e, :g, :%): only report/numbers.py may hold one.
NUMBER_SPEC = re.compile(r"\{[^{}]*:(?! )[<>^=]?[+\-]?#?0?\d*[,_]?(\.\d+)?[defgn%]?\}|float_format")


def test_numbers_are_formatted_in_one_place() -> None:
    """One home for the number format: no other report module formats a number itself."""
    package = Path(__file__).resolve().parents[1] / "python" / "netmob_tor" / "report"
    found = {}
    for module in sorted(package.glob("*.py")):
        if module.name == "numbers.py":
            continue
        hits = [m.group(0) for m in NUMBER_SPEC.finditer(module.read_text(encoding="utf-8")) if re.search(r"[\d,defgn%]", m.group(0).split(":")[-1])]
        if hits:
            found[module.name] = hits
    assert not found, f"number formats outside report/numbers.py: {found}"
