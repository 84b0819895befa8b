"""Hand-written fixtures in each real publisher format go through the same dbt models as the default;
each corruption of a small input gives a clear error or a quarantine row, and the reconciliation balances."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import run_dbt
from netmob_tor.doctor import convert_xlsx
from netmob_tor.duck import connect

FIXTURE = Path(__file__).parent / "fixtures" / "real"
PARSED = {  # base_ model (parses and flags) -> folder; its stg_ view selects the kept rows
    "base_ssmsi__commune_crime": "ssmsi", "base_insee__department_unemployment": "insee",
    "base_insee__epci_poverty": "insee", "base_insee__commune_indicators": "insee",
    "base_elections__presidential_2017_communes": "elections", "base_overture__places": "overture",
    "base_gtrends__region_search_terms": "gtrends", "base_cybertipline__reports_per_country": "cybertipline",
}
IGN = {"base_ign__communes": "ign", "base_ign__municipal_districts": "ign", "stg_ign__communes": "ign"}  # in read order
STAGING = {**IGN, **PARSED, **{"stg_" + m.removeprefix("base_"): f for m, f in PARSED.items()}}
SELECT = ("+int_crime__commune_rates +int_communes__controls +int_places__categorised "
          "+int_small_inputs__reconciliation stg_ign__communes stg_elections__presidential_2017_candidate_votes "
          "stg_gtrends__region_search_terms stg_cybertipline__reports_per_country")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The fixture folder built by `dbt build --vars '{data_root: …}'` into its own DuckDB, its xlsx converted
    outside it and read through the path vars convert_xlsx gives (as `doctor --convert-xlsx OUT` prints them).

    Built with `district_controls: parent` (the corrected rule) so that the districts' known answer
    below is checked on the real election layout; the study rule (no controls) is checked on the warehouse.
    """
    base = tmp_path_factory.mktemp("real")
    root = base / "data"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("*.py"))
    converted = {name: str(path) for name, path in convert_xlsx(root, base / "converted").items()}
    db, target = base / "fx.duckdb", base / "target"
    run = run_dbt(root, db, base, SELECT.split(), {"district_controls": "parent", **converted})
    assert run.returncode == 0, run.stdout[-4000:]
    return {"root": root, "converted": base / "converted", "db": db, "target": target / "compiled" / "netmob_tor"}


@pytest.fixture(scope="module")
def wh(built: dict[str, Path]) -> duckdb.DuckDBPyConnection:
    """Read-only connection to the fixture build."""
    con = connect(built["db"], read_only=True)
    yield con
    con.close()


def test_admin_express_shapefile_with_districts(wh: duckdb.DuckDBPyConnection) -> None:
    codes = {r[0] for r in wh.execute("select commune_code from stg_ign__communes").fetchall()}
    assert {"69381", "69382", "21231"} <= codes and "69123" not in codes  # districts replace their city
    lon, lat, epci = wh.execute("select ST_X(ST_Centroid(commune_geom)), ST_Y(ST_Centroid(commune_geom)), epci_code "
                                "from stg_ign__communes where commune_code = '69381'").fetchone()
    assert 4.80 < lon < 4.84 and 45.74 < lat < 45.79 and epci == "200046977"  # Lambert-93 read back to WGS84


def test_ssmsi_decimal_comma_two_digit_years_and_fallback(wh: duckdb.DuckDBPyConnection) -> None:
    path = next((FIXTURE / "ssmsi").glob("*.csv"))
    rows = list(csv.DictReader(path.open(encoding="utf-8"), delimiter=";"))
    dijon = [float(r["tauxpourmille"].replace(",", ".")) for r in rows
             if r["CODGEO_2023"] == "21231" and r["classe"] == "Violences sexuelles" and 17 <= int(r["annee"]) <= 21]
    ahuy = [float((r["tauxpourmille"] or r["complementinfotaux"]).replace(",", ".")) for r in rows
            if r["CODGEO_2023"] == "21003" and r["classe"] == "Violences sexuelles" and 17 <= int(r["annee"]) <= 21]
    got = dict(wh.execute("select commune_code, sexual_violence_rate from int_crime__commune_rates").fetchall())
    assert got["21231"] == pytest.approx(sum(dijon) / len(dijon))
    fallback = wh.execute("select sexual_violence_rate_with_fallback, n_sexual_violence_years_published "
                          "from int_crime__commune_rates where commune_code = '21003'").fetchone()
    assert fallback[0] == pytest.approx(sum(ahuy) / len(ahuy)) and fallback[1] == 1
    repaired = wh.execute("select commune_code, is_code_repaired from stg_ssmsi__commune_crime "
                          "where commune_code_raw = '1105'").fetchone()
    assert repaired == ("01105", True)
    assert wh.execute("select count(*) from stg_ssmsi__commune_crime where commune_code = '2A004'").fetchone()[0] == 1


def test_insee_latin1_bom_na_and_xlsx(wh: duckdb.DuckDBPyConnection) -> None:
    unemployment = dict(wh.execute("select department_code, unemployment_rate_2022 from stg_insee__department_unemployment").fetchall())
    assert unemployment["01"] == pytest.approx(0.055) and unemployment["21"] == pytest.approx(0.056)
    assert unemployment["971"] == pytest.approx(0.186) and unemployment["976"] is None
    names = {r[0] for r in wh.execute("select department_name from stg_insee__department_unemployment").fetchall()}
    assert "Côte-d'Or" in names  # Latin-1 decoded
    poverty = dict(wh.execute("select epci_code, poverty_rate_2020 from stg_insee__epci_poverty").fetchall())
    assert poverty == {"242100410": pytest.approx(0.142), "200069540": pytest.approx(0.05), "200000925": None}
    controls = wh.execute("select population_density, singles_share, unemployment_rate, poverty_rate "
                          "from int_communes__controls where commune_code = '69381'").fetchone()
    assert controls == (pytest.approx(19985.2), pytest.approx(0.581), None, None)


def test_elections_real_layout(wh: duckdb.DuckDBPyConnection) -> None:
    rows = dict(wh.execute("select commune_code, is_kept from base_elections__presidential_2017_communes "
                           "where commune_code is not null").fetchall())
    assert rows == {"21231": True, "21003": True, "2A004": True, "69123": True}
    overseas = wh.execute("select is_overseas_or_abroad, is_kept, rejection_reason from base_elections__presidential_2017_communes "
                          "where department_code_raw = 'ZA'").fetchone()
    assert overseas == (True, False, None)
    # district_controls: parent: Lyon's districts take the city's result, flagged; Le Pen share = 25000 / registered.
    lyon = wh.execute("select le_pen_share_2017, election_commune_code, controls_from_parent from int_communes__controls "
                      "where commune_code = '69381'").fetchone()
    registered = wh.execute("select registered from stg_elections__presidential_2017_communes where commune_code = '69123'").fetchone()[0]
    assert lyon == (pytest.approx(25000 / registered), "69123", True)


def test_places_gtrends_cybertipline(wh: duckdb.DuckDBPyConnection) -> None:
    assert wh.execute("select count(*), count(*) filter (where is_study_category) from int_places__categorised").fetchone() == (24, 18)
    assert wh.execute("select popularity from stg_gtrends__region_search_terms where region_name = 'Bourgogne' "
                      "and search_term_column = 'video porno ado_x'").fetchone()[0] == 0
    assert wh.execute("select cybertipline_reports from stg_cybertipline__reports_per_country "
                      "where country_iso3 = 'FRA' and report_year = 2019").fetchone()[0] == 71422


def test_reconciliation_balances_on_the_fixture(wh: duckdb.DuckDBPyConnection) -> None:
    rows = wh.execute("select input_name, n_read, n_kept, n_quarantined, n_excluded, is_balanced "
                      "from int_small_inputs__reconciliation").fetchall()
    assert len(rows) == 10 and all(r[5] for r in rows)
    assert {r[0]: r[4] for r in rows}["elections_presidential_2017"] == 1  # the overseas line, named reason
    assert sum(r[3] for r in rows) == 0


# --------------------------------------------------------------------------- corruptions

def rebuild_staging(built: dict[str, Path], root: Path, tmp: Path) -> duckdb.DuckDBPyConnection:
    """The compiled staging views, quarantine and reconciliation re-run on a corrupted copy of the data root
    (and of the converted CSVs beside it, in `root`'s parent)."""
    db = tmp / "fx.duckdb"  # same catalog name as the build, so compiled relation names resolve
    con = connect(db)
    for model, folder in STAGING.items():
        sql = (built["target"] / "models" / "staging" / folder / f"{model}.sql").read_text()
        sql = sql.replace(str(built["root"]), str(root)).replace(str(built["converted"]), str(root.parent / "converted"))
        con.execute(f"create view {model} as {sql}")
    for model in ("int_small_inputs__quarantine", "int_small_inputs__reconciliation"):
        con.execute(f"create view {model} as {(built['target'] / 'models' / 'intermediate' / f'{model}.sql').read_text()}")
    return con


@pytest.fixture()
def corrupt(built: dict[str, Path], tmp_path: Path):
    """A function that applies an edit to a fresh copy of the data root and returns the re-run staging."""
    def apply(edit) -> duckdb.DuckDBPyConnection:
        root = tmp_path / "data"
        shutil.copytree(built["root"], root, ignore=shutil.ignore_patterns("Dijon", "grid"))
        shutil.copytree(built["converted"], tmp_path / "converted")
        edit(root)
        return rebuild_staging(built, root, tmp_path)
    return apply


def replace_in(path: Path, old: str, new: str, encoding: str = "utf-8") -> None:
    """Replace text in a file (first occurrence)."""
    text = path.read_text(encoding=encoding)
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding=encoding)


def quarantined(con: duckdb.DuckDBPyConnection, input_name: str) -> list[tuple]:
    """Quarantine rows of one input, and assert that the reconciliation balances."""
    assert con.execute("select bool_and(is_balanced) from int_small_inputs__reconciliation").fetchone()[0]
    return con.execute("select line_number, record_key, rejection_reason from int_small_inputs__quarantine "
                       "where input_name = ? order by all", [input_name]).fetchall()


def ssmsi_file(root: Path) -> Path:
    return next((root / "ssmsi").glob("*.csv"))


def test_ssmsi_non_numeric_and_na_rate_are_quarantined(corrupt) -> None:
    def edit(root: Path) -> None:
        replace_in(ssmsi_file(root), ';1,47;', ';abc;')
        replace_in(ssmsi_file(root), ';1,62;', ';N/A;')
    rows = quarantined(corrupt(edit), "ssmsi_commune_crime")
    assert rows == [(3, "21231 2018 Violences sexuelles", "non-numeric value"),
                    (4, "21231 2019 Violences sexuelles", "published line without a rate")]


def test_ssmsi_malformed_code_and_year(corrupt) -> None:
    def edit(root: Path) -> None:
        replace_in(ssmsi_file(root), '"21166";"19"', '"2Z166";"2019"')
    rows = quarantined(corrupt(edit), "ssmsi_commune_crime")
    assert rows == [(14, "2Z166 ? Violences sexuelles", "malformed commune code; year not two digits")]


def test_ssmsi_wrong_column_count_is_an_error_naming_the_line(corrupt) -> None:
    with pytest.raises(duckdb.Error, match=r"(?is)line.*column|column.*line"):
        con = corrupt(lambda root: replace_in(ssmsi_file(root), ';93100;"18"', ';93100'))
        con.execute("select count(*) from stg_ssmsi__commune_crime").fetchone()


def test_insee_wrong_encoding_is_an_error(corrupt) -> None:
    # pauvrete_epci.csv was UTF-8 at build time; Latin-1 bytes now make DuckDB refuse it, not mis-read it.
    def edit(root: Path) -> None:
        path = root / "insee" / "pauvrete_epci.csv"
        path.write_bytes(path.read_bytes().replace("Métropole".encode(), "Métropole".encode("latin-1")))
    try:
        rows = quarantined(corrupt(edit), "insee_epci_poverty")
    except duckdb.Error as err:  # DuckDB refuses the file: a clear error is as good as a quarantine row
        assert "unicode" in str(err).lower() or "utf" in str(err).lower()
    else:
        assert rows == [(2, "242100410", "invalid characters (wrong encoding)")]


def test_insee_non_numeric_and_bad_code_are_quarantined(corrupt) -> None:
    def edit(root: Path) -> None:
        replace_in(root / "insee" / "chomage_departements.csv", "5,6", "cinq", encoding="latin-1")
        replace_in(root.parent / "converted" / "insee" / "indicateurs_communes.csv", "21003;", "AB003;")  # outside the data folder
    con = corrupt(edit)
    assert quarantined(con, "insee_department_unemployment") == [(3, "21", "non-numeric value")]
    assert quarantined(con, "insee_commune_indicators") == [(2, "AB003", "malformed commune code")]


def test_duplicate_code_fails_the_unique_test_with_the_key(corrupt, built: dict[str, Path]) -> None:
    def edit(root: Path) -> None:
        path = root / "insee" / "pauvrete_epci.csv"
        path.write_text(path.read_text(encoding="utf-8-sig") + '"242100410";"Dijon Métropole (bis)";"14.3"\n')
    con = corrupt(edit)
    test_sql = next((built["target"] / "models" / "staging" / "insee" / "_insee__models.yml")
                    .glob("unique_stg_insee__epci_poverty_epci_code*.sql")).read_text()
    assert con.execute(test_sql).fetchall() == [("242100410", 2)]


def test_elections_bad_lines_are_quarantined(corrupt) -> None:
    def edit(root: Path) -> None:
        path = next((root / "elections").glob("*.csv"))
        text = path.read_text(encoding="latin-1").replace(";Ahuy;Complet;", ";Ahuy;Complet;extra;", 1)
        text = text.replace(";Ajaccio;Complet;", ";Ajaccio;Complet;x", 1)
        path.write_text(text, encoding="latin-1")
    rows = quarantined(corrupt(edit), "elections_presidential_2017")
    assert rows == [(4, "21 003", "wrong column count"), (5, "2A 004", "non-numeric count")]


def test_places_without_geometry_or_with_duplicate_id_are_quarantined(corrupt) -> None:
    def edit(root: Path) -> None:
        path = next((root / "overture").rglob("*.parquet"))
        con = duckdb.connect()
        con.execute(f"create table p as select * from read_parquet('{path}')")
        con.execute("update p set geometry = null where id = (select min(id) from p)")
        con.execute("insert into p select * from p where id = (select max(id) from p)")
        con.execute(f"copy p to '{path}' (format parquet)")
        con.close()
    con = corrupt(edit)
    rows = quarantined(con, "overture_places")
    assert sorted(r[2] for r in rows) == ["duplicate id", "duplicate id", "missing or unreadable geometry"]
    assert con.execute("select n_read, n_kept from int_small_inputs__reconciliation "
                       "where input_name = 'overture_places'").fetchone() == (25, 22)


def test_cybertipline_and_gtrends_non_numeric(corrupt) -> None:
    def edit(root: Path) -> None:
        replace_in(root / "cybertipline" / "ocse-reports-per-country.csv", '"98,108"', '"n/a"')
        replace_in(root / "gtrends" / "gtrends_regions.csv", "Alsace;44;0;29;61", "Alsace;44;0;29;high")
    con = corrupt(edit)
    assert quarantined(con, "cybertipline_reports") == [(2, "France / 2020", "non-numeric value")]
    assert quarantined(con, "gtrends_region_search_terms") == [(3, "Alsace / video porno ado_x", "non-numeric value")]
