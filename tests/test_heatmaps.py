"""heatmap_weekday_hour reconciles with commune_hour; national_context parses and ranks as published."""

from __future__ import annotations

import csv

import duckdb
import pandas as pd
import pytest

from netmob_tor.paths import reference_dir

SERIES = ["youtube_dl", "web_adult_dl", "tor_dl", "tor_scaled_dl"]


def direct_cells(con: duckdb.DuckDBPyConnection, communes: list[str] | None) -> pd.DataFrame:
    """Day-of-week × hour sums straight from commune_hour (and c from commune_summary) for a set of communes."""
    where = "" if communes is None else "where h.commune_code in (select unnest(?::varchar[]))"
    params = [] if communes is None else [communes]
    return con.execute(
        f"""
        select h.iso_day_of_week, h.hour_of_day,
               sum(h.youtube_dl) as youtube_dl, sum(h.web_adult_dl) as web_adult_dl,
               sum(h.tor_dl) as tor_dl, sum(h.tor_dl * s.c) as tor_scaled_dl
        from commune_hour h join commune_summary s using (commune_code)
        {where}
        group by all order by 1, 2
        """,
        params,
    ).df()


def mart_cells(con: duckdb.DuckDBPyConnection, scope: str) -> pd.DataFrame:
    """One scope of the mart, in the same order as direct_cells."""
    return con.execute(
        f"select iso_day_of_week, hour_of_day, {', '.join(SERIES)} from heatmap_weekday_hour "
        "where scope = ? order by 1, 2",
        [scope],
    ).df()


def test_all_communes_reconcile_cell_by_cell(warehouse: duckdb.DuckDBPyConnection) -> None:
    """Every cell of the all-communes scope equals the commune_hour sum; the grand totals too."""
    got, want = mart_cells(warehouse, "all_communes"), direct_cells(warehouse, None)
    assert len(got) == 7 * 24
    pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-9)
    totals = warehouse.execute("select sum(youtube_dl), sum(web_adult_dl), sum(tor_dl) from commune_hour").fetchone()
    assert got[["youtube_dl", "web_adult_dl", "tor_dl"]].sum().tolist() == pytest.approx(list(totals), rel=1e-9)


def test_top_scopes_are_the_largest_cpc_communes(warehouse: duckdb.DuckDBPyConnection) -> None:
    """top_10_cpc and top_cpc_1..3 sum exactly the communes ranked by cpc per 1000 in commune_summary."""
    summary = warehouse.execute("select commune_code, commune_name, cpc_per_1000 from commune_summary").df()
    ranked = summary.dropna(subset=["cpc_per_1000"]).sort_values(["cpc_per_1000", "commune_code"], ascending=[False, True])
    top = ranked["commune_code"].tolist()
    pd.testing.assert_frame_equal(mart_cells(warehouse, "top_10_cpc"), direct_cells(warehouse, top[:10]), check_dtype=False, rtol=1e-9)
    for rank in (1, 2, 3):
        scope = f"top_cpc_{rank}"
        pd.testing.assert_frame_equal(mart_cells(warehouse, scope), direct_cells(warehouse, [top[rank - 1]]), check_dtype=False, rtol=1e-9)
        named = warehouse.execute("select distinct commune_code, commune_name, n_communes from heatmap_weekday_hour where scope = ?",
                                  [scope]).fetchall()
        assert named == [(top[rank - 1], ranked.iloc[rank - 1]["commune_name"], 1)]


def test_heatmap_mart_has_no_tiles(warehouse: duckdb.DuckDBPyConnection) -> None:
    """Commune level only: no tile or geometry column in the report marts."""
    for mart in ("heatmap_weekday_hour", "poi_top_tiles", "national_context"):
        columns = [r[0] for r in warehouse.execute(f"describe {mart}").fetchall()]
        assert not [c for c in columns if "tile_id" in c or "geom" in c or c in ("lon", "lat", "x", "y")], mart


def test_national_context_against_the_published_files(warehouse: duckdb.DuckDBPyConnection) -> None:
    """Reports parsed from the thousands-separated file; per 1000 and the European rank from the tidy file."""
    path = reference_dir() / "transparency" / "ocse-reports-per-year-country-capita.csv"
    with path.open(encoding="utf-8") as handle:
        tidy = [r for r in csv.DictReader(handle)]
    for year in (2019, 2023):
        europe = {r["iso3"]: int(r["reports"]) / int(r["population"]) * 1000
                  for r in tidy if r["continent"] == "Europe" and int(r["year"]) == year and r["population"]}
        france = europe["FRA"]
        expected_rank = 1 + sum(v > france for v in europe.values())
        row = warehouse.execute(
            "select cybertipline_reports, reports_per_1000, europe_rank_per_1000, n_europe_ranked "
            "from national_context where country_iso3 = 'FRA' and report_year = ?", [year]).fetchone()
        published = next(int(r["reports"]) for r in tidy if r["iso3"] == "FRA" and int(r["year"]) == year)
        assert row[0] == published
        assert row[1] == pytest.approx(france)
        assert row[2] == expected_rank
        assert row[3] == len(europe)


def test_study_totals_beside_france_2019(warehouse: duckdb.DuckDBPyConnection) -> None:
    """The study's totals sit on France 2019 only and equal commune_summary's sums."""
    rows = warehouse.execute("select country_iso3, report_year from national_context where study_cpc is not null").fetchall()
    assert rows == [("FRA", 2019)]
    got = warehouse.execute("select study_n_communes, study_population, study_cpc from national_context where study_cpc is not null").fetchone()
    want = warehouse.execute("select count(*), sum(population), sum(cpc) from commune_summary").fetchone()
    assert got[0] == want[0] and got[1] == want[1]
    assert got[2] == pytest.approx(want[2], rel=1e-12)
