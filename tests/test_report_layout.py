"""The report's layout in headless Chromium, and its PNG charts as drawn: nothing runs off the page, no label is cut.

In the browser (a laptop window and a narrow one, after the interactive map is drawn): no element reaches beyond the
page's content box or holds content wider than its own box (scrollWidth > clientWidth: a table, a figure, a
section), the page never scrolls sideways, and every text of an SVG figure (the Vega map: title, legend)
lies inside its SVG. The PNG charts are checked where they are drawn (report.figures.layout_findings,
recorded in each PNG): no text outside the figure, no legend over the plotted data. Both checks are shown
to catch hand-made faults.

The report is built once for this module from the session warehouse. To check a page built elsewhere
(an older version, say), set NETMOB_TOR_REPORT_PAGE to its index.html: nothing is built then.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import matplotlib.pyplot as plt
import pytest
from PIL import Image

from netmob_tor.report import build_report
from netmob_tor.report.figures import LAYOUT_KEY, layout_findings
from test_report import WINDOW, browser_check

# The windows the page must fit: a laptop (test_report.WINDOW) and a narrow one (a tablet, a half screen).
WINDOWS = [WINDOW, "800,900"]

LAYOUT_SCRIPT = """
<script>
// Layout probe: measured once the interactive map (if any) is drawn, before anything is hovered.
function describe(el) {
  var name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '');
  var section = el.closest('section');
  var label = el.querySelector ? el.querySelector('caption, figcaption, h2, h3') : null;
  var text = ((label ? label.textContent : el.textContent) || '').replace(/\\s+/g, ' ').trim().slice(0, 90);
  return name + (section ? ' in section #' + section.id : '') + ' ("' + text + '")';
}
function overflow() {
  // First the outermost elements that stick out of the page's content box; then any other element whose content
  // is wider than its own box (clipped or scrolled inside it), other than the ancestors of those that stick out.
  var body = document.body, style = getComputedStyle(body), box = body.getBoundingClientRect();
  var left = box.left + parseFloat(style.paddingLeft), right = box.right - parseFloat(style.paddingRight);
  var elements = Array.from(body.querySelectorAll('*')).filter(function (el) {
    if (el.closest('script, style, #vg-tooltip-element, #report-check')) return false;
    if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') return false;  // SVG texts: svgLabels()
    var r = el.getBoundingClientRect();
    return r.width > 0 || r.height > 0;
  });
  var out = [], problems = [];
  elements.forEach(function (el) {
    if (out.some(function (f) { return f.contains(el); })) return;
    var r = el.getBoundingClientRect();
    if (r.right > right + 1 || r.left < left - 1) {
      out.push(el);
      problems.push(describe(el) + ': spans x ' + Math.round(r.left) + ' to ' + Math.round(r.right) +
                    ' px, beyond the page content box ' + Math.round(left) + ' to ' + Math.round(right));
    }
  });
  var clipped = [];
  elements.forEach(function (el) {
    if (out.some(function (f) { return el.contains(f) || f.contains(el); })) return;
    if (clipped.some(function (f) { return f.contains(el); })) return;
    if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
      clipped.push(el);
      problems.push(describe(el) + ': content ' + el.scrollWidth + ' px wide in its ' + el.clientWidth + ' px box');
    }
  });
  var doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth + 1) {
    problems.push('the page scrolls sideways: ' + doc.scrollWidth + ' px of content in a ' + doc.clientWidth + ' px window');
  }
  return problems;
}
function svgLabels() {
  var problems = [];
  Array.from(document.querySelectorAll('svg')).forEach(function (svg) {
    var box = svg.getBoundingClientRect();
    Array.from(svg.querySelectorAll('text')).forEach(function (t) {
      var r = t.getBoundingClientRect();
      if (!t.textContent.trim() || (r.width === 0 && r.height === 0)) return;
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1) {
        problems.push(describe(svg) + ': label "' + t.textContent + '" spans x ' + Math.round(r.left) + ' to ' +
                      Math.round(r.right) + ', y ' + Math.round(r.top) + ' to ' + Math.round(r.bottom) + '; the SVG x ' +
                      Math.round(box.left) + ' to ' + Math.round(box.right) + ', y ' + Math.round(box.top) + ' to ' + Math.round(box.bottom));
      }
    });
  });
  return problems;
}
window.addEventListener('load', function () {
  function finish() {
    var doc = document.documentElement;
    var result = {overflow: overflow(), svg_labels: svgLabels(), n_svg: document.querySelectorAll('svg').length,
                  n_elements: document.body.querySelectorAll('*').length, height: doc.scrollHeight, width: doc.clientWidth};
    var out = document.createElement('pre');
    out.id = 'report-check';
    out.textContent = JSON.stringify(result);
    document.body.appendChild(out);
  }
  if (window.cpcMapReady) { window.cpcMapReady.then(finish, finish); } else { finish(); }
});
</script>
"""


@pytest.fixture(scope="module")
def page(warehouse: duckdb.DuckDBPyConnection, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report page: built once from the session warehouse, or the one NETMOB_TOR_REPORT_PAGE names."""
    given = os.environ.get("NETMOB_TOR_REPORT_PAGE")
    if given:
        return Path(given)
    return build_report(warehouse, tmp_path_factory.mktemp("report-layout"))


@pytest.fixture(scope="module", params=WINDOWS)
def layout(page: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> dict:
    """What the layout probe measured in headless Chromium, in each of WINDOWS."""
    return browser_check(page, tmp_path_factory.mktemp("chromium-layout"), LAYOUT_SCRIPT, request.param)


def test_nothing_runs_off_the_page(layout: dict) -> None:
    """No table, figure, section or paragraph is wider than the page's content box or than its own box."""
    assert layout["n_elements"] > 100
    assert not layout["overflow"], "\n".join(layout["overflow"])


def test_no_svg_label_is_cut(layout: dict) -> None:
    """Every text of an SVG figure (the interactive map's title and legend) lies inside its SVG."""
    assert layout["n_svg"] >= 1, "no SVG figure was drawn: the check would prove nothing"
    assert not layout["svg_labels"], "\n".join(layout["svg_labels"])


def test_png_labels_inside_and_legends_clear(page: Path) -> None:
    """Every PNG chart was checked as it was drawn: each text inside the figure, no legend over the data."""
    images = sorted((page.parent / "images").glob("*.png"))
    assert images, f"no PNG next to {page}"
    problems = {}
    for path in images:
        record = Image.open(path).text.get(LAYOUT_KEY)
        if record is None:
            problems[path.name] = "no layout record (drawn without the draw-time check)"
            continue
        found = json.loads(record)
        if found["outside"] or found["legend_over_data"]:
            problems[path.name] = found["outside"] + found["legend_over_data"]
        elif found["texts"] == 0:
            problems[path.name] = "no text measured"
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)


def test_layout_probe_catches_overflow_and_cut_labels(tmp_path: Path) -> None:
    """The browser probe itself, on a hand-made page: a table too wide, a figure too wide, an SVG label cut."""
    wide_row = "".join(f"<td>column_with_a_long_unbreakable_name_{i}</td>" for i in range(12))
    page = tmp_path / "index.html"
    page.write_text(
        "<!DOCTYPE html><html><head><style>body { max-width: 600px; margin: 0 auto; padding: 0 10px; }</style></head><body>"
        f'<section id="s1"><table><caption>too wide</caption><tbody><tr>{wide_row}</tr></tbody></table></section>'
        '<section id="s2"><figure><canvas width="900" height="10"></canvas>'
        "<figcaption>a figure wider than the page</figcaption></figure></section>"
        '<section id="s3"><svg width="200" height="50"><text x="150" y="30">a label running past the edge</text></svg></section>'
        '<section id="s4"><div style="width: 300px; overflow: hidden"><p style="width: 500px">clipped</p></div></section>'
        "</body></html>", encoding="utf-8")
    seen = browser_check(page, tmp_path / "profile", LAYOUT_SCRIPT)
    text = "\n".join(seen["overflow"])
    assert "table in section #s1" in text and "canvas in section #s2" in text
    assert "div in section #s4" in text and "500 px wide in its 300 px box" in text
    assert len(seen["svg_labels"]) == 1 and "a label running past the edge" in seen["svg_labels"][0]


def test_draw_time_check_catches_a_cut_label_and_a_covering_legend() -> None:
    """layout_findings on a hand-made chart: an x label longer than the figure, a legend over the line."""
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [0, 1], label="the data")
    ax.plot([0, 1], [0.5, 0.5], label="a line through the middle")
    ax.legend(loc="center")
    ax.set_xlabel("a label much longer than this small figure can hold at this size, cut at the edge")
    fig.canvas.draw()
    found = layout_findings(fig)
    plt.close(fig)
    assert found["texts"] >= 5
    assert any("a label much longer" in line for line in found["outside"])
    assert found["legend_over_data"] and "a line through the middle" in found["legend_over_data"][0]
    fig, ax = plt.subplots(figsize=(3, 2), layout="constrained")
    ax.plot([0, 1], [0, 1], label="the data")
    fig.legend(loc="outside lower center")
    ax.set_xlabel("short")
    fig.canvas.draw()
    assert layout_findings(fig) == {"texts": layout_findings(fig)["texts"], "outside": [], "legend_over_data": []}
    plt.close(fig)
