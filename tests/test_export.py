"""`netmob-tor export`: the release regenerated from the paper-mode inputs gives the original file's numbers with
its known errors corrected (checked against the original file itself and against logs worked out here), the
warehouse's release has the original layout, and the Parquet marts carry their rows and dbt descriptions."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from netmob_tor import export
from netmob_tor.analysis.released import released_summary
from netmob_tor.params import defaults, study_parameters
from netmob_tor.paths import project_root, reference_dir
from netmob_tor.provenance import PARQUET_KEY, as_json, read_data_source

ORIGINAL = reference_dir() / "study_release" / "cpc_com.csv"
COPIED = ["Web_Adult", "Tor", "YouTube", "c", "pop", "cpc", "cpc_per_1000", "yt_per_1000", "wa_per_1000", "tor_per_1000",
          "Pornography_in_darknet_URL_share", "Child_pornography_to_pornography_in_darknet_URL_share", "log_cpc",
          "sv_19", "sv_17_21", "sv_com_19", "sv_com_17_21"]


def test_release_from_paper_mode_matches_the_original_with_its_errors_corrected(tmp_path: Path) -> None:
    export.write_release(released_summary(), defaults(), tmp_path, "paper mode")
    new = export.read_release(tmp_path / "cpc_com.csv")
    old = pd.read_csv(ORIGINAL, sep=";", dtype={"code_com": str})
    assert list(new.columns) == list(old.columns)
    assert len(new) == len(old) == 1341
    old = old.assign(code5=old["code_com"].str.zfill(5))
    merged = new.merge(old, left_on=["cities", "code_com"], right_on=["cities", "code5"], suffixes=("", "_old"), validate="one_to_one")
    assert len(merged) == 1341
    # codes: 5 characters everywhere, 35 restored
    assert (new["code_com"].str.len() == 5).all()
    assert (merged["code_com"] != merged["code_com_old"]).sum() == 35
    # the columns the release got right: the same numbers
    for column in COPIED:
        np.testing.assert_allclose(merged[column].astype(float), merged[f"{column}_old"].astype(float), rtol=1e-12, atol=0,
                                   err_msg=column)
    # the onion share as a fraction; the original printed a percent
    assert (merged["Tor_to_darknet_share_old"] == 11).all() and (merged["Tor_to_darknet_share"] == 0.011).all()
    # the logs: ln of the original's own per-1000 columns, which its log columns were not
    for log, rate in [("log_cpc_per_1000", "cpc_per_1000"), ("log_yt_per_1000", "yt_per_1000"),
                      ("log_wa_per_1000", "wa_per_1000"), ("log_tor_per_1000", "tor_per_1000")]:
        np.testing.assert_allclose(merged[log], np.log(merged[f"{rate}_old"]), rtol=1e-12, err_msg=log)
        assert not np.allclose(merged[f"{log}_old"], np.log(merged[f"{rate}_old"]))
    diff = pd.read_csv(tmp_path / "diff_summary.csv").set_index("column")
    corrected = {c for c in diff.index if diff.loc[c, "n_differ"] > 0}
    assert corrected == set(export.KNOWN_CORRECTIONS) | {"level_0", "index"}
    assert "no individual or causal meaning" in (tmp_path / "DATA_DICTIONARY.md").read_text()


def test_release_from_the_warehouse_has_the_original_layout(warehouse: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    summary = warehouse.execute("select * from commune_summary").df()
    frame = export.write_release(summary, study_parameters(warehouse), tmp_path, "the embedded warehouse")
    original = pd.read_csv(ORIGINAL, sep=";", dtype={"code_com": str})
    assert list(frame.columns) == list(original.columns)
    assert len(frame) == int(summary["is_study_commune"].sum()) > 0
    back = export.read_release(tmp_path / "cpc_com.csv")
    assert (back["code_com"].str.len() == 5).all()
    np.testing.assert_allclose(back["cpc"], back["c"] * back["Tor"], rtol=1e-12)
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(back["log_tor_per_1000"], np.log(back["Tor"] / back["pop"] * 1000), rtol=1e-9)
    diff = pd.read_csv(tmp_path / "diff_summary.csv").set_index("column")
    assert diff.loc["code_com", "n_differ"] == 35 and diff.loc["Tor_to_darknet_share", "n_differ"] == len(frame)
    assert "no individual or causal meaning" in (tmp_path / "DIFF_SUMMARY.md").read_text()


def test_parquet_marts_carry_rows_and_descriptions(warehouse: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    manifest = project_root() / "target" / "manifest.json"
    written = export.write_parquet(warehouse, tmp_path, manifest)
    docs = export.mart_descriptions(manifest)
    assert set(written) == set(docs) and {"commune_hour", "commune_summary"} <= set(written)
    con = duckdb.connect()
    for name, n_rows in written.items():
        path = str(tmp_path / f"{name}.parquet")
        assert con.execute("select count(*) from read_parquet(?)", [path]).fetchone()[0] == n_rows
        kv = {k.decode(): v.decode() for k, v in con.execute("select key, value from parquet_kv_metadata(?)", [path]).fetchall()}
        assert kv["dbt_model"] == name and kv["dbt_description"] == docs[name]["description"]
        columns = json.loads(kv["dbt_column_descriptions"])
        assert list(columns) == [r[0] for r in con.execute("describe select * from read_parquet(?)", [path]).fetchall()]
        assert all(columns.values())
        assert kv[PARQUET_KEY] == as_json(read_data_source(warehouse))  # the warehouse's own source, recorded or not
    con.close()
