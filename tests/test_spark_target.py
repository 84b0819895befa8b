"""The traffic DAG on Apache Spark (dbt target `spark`) against the same DAG on DuckDB.

A small dataset is generated here (Nancy and Dijon, three days around the spring-forward day
2019-03-31, scale 20) and built under two processing profiles (PROFILES), each twice: on DuckDB
(`dbt build`, the default target, into a private DuckDB file) and on Spark (`dbt build --target spark
--selector spark_traffic`, local[2], into a private Spark warehouse), the Spark build reading DuckDB's
Parquet export of what only DuckDB builds (`netmob-tor export-duckdb-inputs`). Each dialect-specific
step (reading the text, the 92-value day, time zones, lists, unpivot, correlations) has its own
implementation per engine: every commune x hour volume must be equal, and per commune rho, the
lagged rho, Spearman's rho and c to 1e-9, as every other column of commune_summary, commune_hour,
the correlations and study_parameters (floats to 1e-9 relative), with the same types (the gaps by
netmob_tor.bench.equality, the check every `netmob-tor bench --target spark` run makes too). Then `netmob-tor
analyze --from-parquet` runs the statistical layer on the Spark marts and must give DuckDB's Table 2.

Marked `spark`: deselected by default (pyproject addopts); `make test-spark` (.ci/run, after make test)
runs it. Needs the optional extra (`make setup-spark`) and Java 17+; without Java it is skipped.
Exploratory area-level data: no individual meaning.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import run_dbt
from netmob_tor.bench import equality
from netmob_tor.duck import connect
from netmob_tor.paths import project_root
from netmob_tor.spark import spark_build_command, spark_env

pytestmark = pytest.mark.spark

TOL = 1e-9
CITIES = "Nancy,Dijon"
DAYS = "2019-03-30:2019-04-01"
# The traffic marts, and the DuckDB marts the statistical layer reads beside them (analyze --from-parquet).
SELECT = ["+commune_summary", "+commune_hour", "+int_traffic__kept_tile_days", "study_parameters",
          "+commune_poi", "+commune_boundaries", "+region_search_trends"]
# The generated days are not the whole study period.
EXCLUDE = ("--exclude", "test_type:unit", "assert_no_missing_traffic_days")
KEYS = {
    "commune_summary": ["commune_code"],
    "commune_hour": ["commune_code", "traffic_date", "hour_of_day"],
    "int_communes__traffic_correlations": ["commune_code"],
    "study_parameters": ["parameter"],
}
PER_COMMUNE = ["rho", "rho_tor_lagged", "rho_spearman", "rho_preprint", "c", "c_tor_lagged", "c_preprint"]
VOLUMES = ["tor_dl", "web_adult_dl", "youtube_dl"]
# The study profile (the 92-value day labelled by position, the lag by label), and the corrected one
# with the zero-Web_Adult rule kept, so that the spring-forward day stays in: its values on their real
# local hours, the lag on the UTC clock, the commune file's populations, the districts' parent controls.
PROFILES = {
    "study": {"processing_profile": "study"},
    "corrected_local_time": {"processing_profile": "corrected", "anomaly_rule": "zero_web_adult"},
}


def venv_bin(name: str) -> str:
    """A console script of the project's virtual environment."""
    return str(project_root() / ".venv" / "bin" / name)


def require_spark() -> None:
    """Skip without Java (the only reason to skip); fail, saying how to fix it, without the extra."""
    if shutil.which("java") is None:
        pytest.skip("the Spark target needs Java 17+ (no `java` on PATH): install a JDK to run this test")
    try:
        import dbt.adapters.spark  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as error:
        pytest.fail(f"the Spark target's packages are not installed ({error}): run `make setup-spark`")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small generated dataset, shared by both profiles' builds."""
    require_spark()
    root = tmp_path_factory.mktemp("spark_target_data") / "data"
    gen = subprocess.run(
        [venv_bin("netmob-tor"), "generate", "--out", str(root), "--seed", "11", "--scale", "20", "--cities", CITIES, "--days", DAYS],
        capture_output=True, text=True, cwd=project_root(),
    )
    assert gen.returncode == 0, f"generate failed:\n{gen.stderr[-3000:]}"
    return root


@pytest.fixture(scope="module", params=sorted(PROFILES))
def builds(request: pytest.FixtureRequest, generated: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The generated set built on DuckDB and on Spark under one processing profile; the Spark build's wall time."""
    profile = PROFILES[request.param]
    base = tmp_path_factory.mktemp(f"spark_target_{request.param}")
    root = generated
    duck = base / "duckdb"
    duck.mkdir()
    run = run_dbt(root, duck / "wh.duckdb", duck, SELECT, profile, *EXCLUDE)
    assert run.returncode == 0, f"dbt build (duckdb) failed:\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}"
    exports = base / "exports"
    out = subprocess.run(
        [venv_bin("netmob-tor"), "export-duckdb-inputs", "--database", str(duck / "wh.duckdb"), "--out", str(exports)],
        capture_output=True, text=True, cwd=project_root(),
    )
    assert out.returncode == 0, f"export-duckdb-inputs failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
    warehouse = base / "spark_warehouse"
    started = time.perf_counter()
    spark = subprocess.run(spark_build_command(root, exports, base / "spark", profile), cwd=project_root(),
                           env=spark_env(warehouse), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    assert spark.returncode == 0, f"dbt build (spark) failed:\n{spark.stdout[-6000:]}\n{spark.stderr[-3000:]}"
    return {"profile": request.param, "duckdb": duck / "wh.duckdb", "spark": warehouse / "main.db", "seconds": seconds}


def read_both(builds: dict[str, object], table: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One table from each build (Spark's Parquet read by DuckDB), sorted by its key."""
    return equality.read_both(builds["duckdb"], builds["spark"], table, KEYS[table])


def compare_frames(duck: pd.DataFrame, spark: pd.DataFrame, table: str) -> dict[str, float]:
    """Every column equal (floats to TOL relative, the rest exactly, nulls alike); the float gaps by column."""
    assert list(spark.columns) == list(duck.columns), f"{table}: columns differ: {set(duck.columns) ^ set(spark.columns)}"
    assert len(spark) == len(duck), f"{table}: {len(duck)} rows on DuckDB, {len(spark)} on Spark"
    gaps = {}
    for column in duck.columns:
        if pd.api.types.is_float_dtype(duck[column]) or pd.api.types.is_float_dtype(spark[column]):
            gaps[column] = equality.column_gap(duck[column], spark[column], relative=True)
            assert gaps[column] <= TOL, f"{table}.{column}: DuckDB and Spark differ by {gaps[column]:.3g} (relative)"
        else:
            a, b = duck[column].astype(object), spark[column].astype(object)
            same = [(x == y) or (pd.isna(x) and pd.isna(y)) for x, y in zip(a, b)]
            assert all(same), f"{table}.{column}: differs in {same.count(False)} rows, e.g. {a[same.index(False)]!r} vs {b[same.index(False)]!r}"
    return gaps


def test_column_types_are_equal(builds: dict[str, object]) -> None:
    """The marts have the same columns with the same types on both targets (as DuckDB reads Spark's Parquet)."""
    con = connect(builds["duckdb"], read_only=True)
    try:
        for table in KEYS:
            duck = con.execute(f"describe {table}").fetchall()
            spark = con.execute(f"describe select * from read_parquet('{builds['spark']}/{table}/*.parquet')").fetchall()
            assert [(r[0], r[1]) for r in spark] == [(r[0], r[1]) for r in duck], f"{table}: column names or types differ"
    finally:
        con.close()


def test_commune_hour_volumes_are_equal(builds: dict[str, object]) -> None:
    """Every commune x hour (the 23-hour day included) carries the same three volumes on both targets."""
    duck, spark = read_both(builds, "commune_hour")
    assert len(duck) > 0 and (duck["traffic_date"].astype(str) == "2019-03-31").any(), "no spring-forward day in the build"
    keys = KEYS["commune_hour"]
    assert duck[keys].astype(str).equals(spark[keys].astype(str)), "commune x hour rows differ"
    for column in VOLUMES:
        assert (duck[column].to_numpy() == spark[column].to_numpy()).all(), f"commune_hour.{column}: volumes differ"
    compare_frames(duck, spark, "commune_hour")


def test_per_commune_correlations_and_c_are_equal(builds: dict[str, object]) -> None:
    """rho, lagged rho, Spearman rho and c per commune to 1e-9 (absolute), and the whole correlation table."""
    duck, spark = read_both(builds, "commune_summary")
    assert duck["commune_code"].tolist() == spark["commune_code"].tolist()
    assert duck["rho"].notna().sum() > 20, "too few communes with a correlation to compare"
    gaps = equality.largest_gaps(duck, spark, PER_COMMUNE)
    print(f"\nSpark vs DuckDB ({builds['profile']}), largest absolute gap per commune: "
          f"{', '.join(f'{k} {v:.2g}' for k, v in gaps.items())}; Spark build {builds['seconds']:.0f} s")
    for column, gap in gaps.items():
        assert gap <= TOL, f"commune_summary.{column}: DuckDB and Spark differ by {gap:.3g}"
    duck_corr, spark_corr = read_both(builds, "int_communes__traffic_correlations")
    compare_frames(duck_corr, spark_corr, "int_communes__traffic_correlations")


def test_commune_summary_is_equal(builds: dict[str, object]) -> None:
    """Every column of commune_summary (traffic from Spark, crime and controls from DuckDB's export) and study_parameters."""
    for table in ("commune_summary", "study_parameters"):
        duck, spark = read_both(builds, table)
        compare_frames(duck, spark, table)


def test_analyze_from_parquet(builds: dict[str, object], tmp_path: Path) -> None:
    """The statistical layer on the Spark marts (analyze --from-parquet, schema main_spark) gives the DuckDB build's Table 2."""
    if builds["profile"] != "study":
        pytest.skip("the statistical layer is compared on the study profile's build")
    database = tmp_path / "analysis.duckdb"
    shutil.copy(builds["duckdb"], database)
    for extra in ([], ["--from-parquet", str(builds["spark"])]):
        run = subprocess.run(
            [venv_bin("netmob-tor"), "analyze", "--database", str(database), "--replicates", "20",
             "--tables-dir", str(tmp_path / "tables"), *extra],
            capture_output=True, text=True, cwd=project_root(),
        )
        assert run.returncode == 0, f"analyze {' '.join(extra)} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    con = connect(database, read_only=True)
    try:
        query = "select * exclude (run_at, parameters) from {}.analysis_correlations order by outcome, predictor"
        duck, spark = (con.execute(query.format(schema)).df() for schema in ("main", "main_spark"))
    finally:
        con.close()
    assert len(duck) >= 5, "Table 2 has too few rows to compare"
    compare_frames(duck, spark, "analysis_correlations")
