"""Results without the warehouse: the study's release layout regenerated from the marts, and every mart as Parquet.

`netmob-tor export --release DIR` writes `cpc_com.csv` in the layout of the authors' only release (same
columns, same order, `;`-separated) from commune_summary, with the release's known errors corrected: the
`log_*` columns are the logs of the per-1000 values, commune codes keep their 5 characters, and the
onion share is a fraction. Beside it go a data dictionary and a summary of the differences against the
original file. `netmob-tor export --parquet DIR` writes every dbt mart as Parquet, with the mart's and
its columns' dbt descriptions in the file's key-value metadata.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from netmob_tor import CAUTION
from netmob_tor.cli_help import HelpFormatter
from netmob_tor.duck import open_warehouse, require_tables
from netmob_tor.errors import UserError
from netmob_tor.params import (
    StudyParameters,
    study_parameters,
    sv_mean_column,
    sv_mean_with_fallback_column,
    sv_reference_column,
    sv_reference_with_fallback_column,
)
from netmob_tor.paths import default_database, project_root, reference_dir
from netmob_tor.provenance import PARQUET_KEY, as_json, describe, read_data_source
from netmob_tor.release import normalise_code

RELEASE_FILE = "cpc_com.csv"

# The release's columns in its order, each with its meaning (the data dictionary).
RELEASE_COLUMNS: dict[str, str] = {
    "cities": "NetMob 2023 urban area.",
    "code_com": "INSEE commune code, 5 characters (the original lost the leading zero of departments 01-09).",
    "traffic_dir": "Traffic direction: DL (download), the only one the study used.",
    "level_0": "The authors' notebook row label: not regenerated, left empty.",
    "index": "The authors' notebook row label: not regenerated, left empty.",
    "Web_Adult": "Web_Adult download traffic summed over the commune's tiles and the kept days (unitless NetMob volume).",
    "Tor": "Tor download traffic, summed likewise.",
    "YouTube": "YouTube download traffic, summed likewise.",
    "c": "Correction factor c = s_onion x s_csam x rho' (rho' = rho, or the floor where rho < 0).",
    "pop": "Legal population used for the per-1000 rates.",
    "Tor_to_darknet_share": "s_onion, the share of Tor traffic to onion services, as a fraction (the original printed 11 for 0.011).",
    "Pornography_in_darknet_URL_share": "Share of onion pages that are pornography (DarkBERT corpus, 2,267,628 / 5,437,248).",
    "Child_pornography_to_pornography_in_darknet_URL_share": "s_csam, the share of pornographic onion sites that are CSAM (105/253).",
    "cpc": "Estimated CSAM-linked Tor download traffic: c x Tor.",
    "cpc_per_1000": "cpc per 1000 inhabitants.",
    "log_cpc": "ln(cpc).",
    "log_cpc_per_1000": "ln(cpc_per_1000) (the original held ln(cpc) x 1000 / pop).",
    "yt_per_1000": "YouTube per 1000 inhabitants.",
    "wa_per_1000": "Web_Adult per 1000 inhabitants.",
    "tor_per_1000": "Tor per 1000 inhabitants.",
    "log_yt_per_1000": "ln(yt_per_1000) (the original held ln(YouTube) x 1000 / pop).",
    "log_wa_per_1000": "ln(wa_per_1000) (likewise corrected).",
    "log_tor_per_1000": "ln(tor_per_1000) (likewise corrected).",
    "sv_19": ("Recorded victims of sexual violence per 1000 inhabitants, reference year, with the department's rate "
              "where the commune's is not published."),
    "sv_17_21": "The same, mean over the study's years, with the department fallback.",
    "sv_com_19": "The reference year's rate, commune values only (empty where not published).",
    "sv_com_17_21": "The mean over the study's years, commune values only (empty where not published): Table 2's outcome.",
}

# Release column <- commune_summary column, where the release copies a mart column as it is.
FROM_SUMMARY = {
    "cities": "city", "Web_Adult": "web_adult_dl", "Tor": "tor_dl", "YouTube": "youtube_dl", "c": "c",
    "pop": "population", "cpc": "cpc", "cpc_per_1000": "cpc_per_1000", "log_cpc_per_1000": "log_cpc_per_1000",
    "yt_per_1000": "youtube_per_1000", "wa_per_1000": "web_adult_per_1000", "tor_per_1000": "tor_per_1000",
    "log_yt_per_1000": "log_youtube_per_1000", "log_wa_per_1000": "log_web_adult_per_1000",
    "log_tor_per_1000": "log_tor_per_1000",
    "sv_19": sv_reference_with_fallback_column(), "sv_17_21": sv_mean_with_fallback_column(),
    "sv_com_19": sv_reference_column(), "sv_com_17_21": sv_mean_column(),
}

# What the original release got wrong, per column: the diff summary names them as corrections.
KNOWN_CORRECTIONS = {
    "code_com": "leading zero restored",
    "Tor_to_darknet_share": "a fraction, not a percent",
    "log_cpc_per_1000": "ln of the per-1000 value",
    "log_yt_per_1000": "ln of the per-1000 value",
    "log_wa_per_1000": "ln of the per-1000 value",
    "log_tor_per_1000": "ln of the per-1000 value",
}


def release_frame(summary: pd.DataFrame, params: StudyParameters) -> pd.DataFrame:
    """The release layout from a commune_summary-like frame (the study communes when it says which), by city and code."""
    if "is_study_commune" in summary:
        summary = summary[summary["is_study_commune"].fillna(False).astype(bool)]
    missing = sorted(set(FROM_SUMMARY.values()) - set(summary.columns))
    if missing:
        raise ValueError(f"commune_summary lacks the columns the release needs: {missing}")
    rows = summary.assign(commune_code=summary["commune_code"].map(normalise_code)).sort_values(["city", "commune_code"])
    out = pd.DataFrame({column: rows[source].to_numpy() for column, source in FROM_SUMMARY.items()})
    out.insert(1, "code_com", rows["commune_code"].to_numpy())
    out["traffic_dir"] = "DL"
    out["level_0"] = pd.NA
    out["index"] = pd.NA
    out["Tor_to_darknet_share"] = params.s_onion
    out["Pornography_in_darknet_URL_share"] = params.porn_page_share
    out["Child_pornography_to_pornography_in_darknet_URL_share"] = params.s_csam
    with np.errstate(divide="ignore", invalid="ignore"):
        out["log_cpc"] = np.log(out["cpc"].astype(float))
    out["pop"] = out["pop"].astype("Int64")
    return out[list(RELEASE_COLUMNS)]


def read_release(path: Path) -> pd.DataFrame:
    """A file in the release layout, codes as text."""
    return pd.read_csv(path, sep=";", dtype={"code_com": str})


def release_diff(regenerated: pd.DataFrame, original: pd.DataFrame) -> pd.DataFrame:
    """Per column, how the regenerated release differs from the original on the communes both hold (matched on city and 5-character code)."""
    left = regenerated.assign(_key=regenerated["cities"] + "/" + regenerated["code_com"].map(normalise_code))
    right = original.assign(_key=original["cities"] + "/" + original["code_com"].map(normalise_code))
    both = left.merge(right, on="_key", suffixes=("", "_original"), validate="one_to_one")
    rows = []
    for column in RELEASE_COLUMNS:
        new, old = both[column], both[f"{column}_original"]
        if column in ("level_0", "index"):
            rows.append({"column": column, "n_compared": len(both), "n_differ": int(old.notna().sum()),
                         "max_abs_diff": None, "max_rel_diff": None, "note": "not regenerated (notebook row label)"})
            continue
        if pd.api.types.is_numeric_dtype(old) and column != "code_com":
            a, b = pd.to_numeric(new, errors="coerce").astype(float), pd.to_numeric(old, errors="coerce").astype(float)
            same = (a == b) | (a.isna() & b.isna()) | np.isclose(a, b, rtol=1e-12, atol=0)
            gap = (a - b).abs()
            rel = gap / b.abs().where(b != 0)
            rows.append({"column": column, "n_compared": len(both), "n_differ": int((~same).sum()),
                         "max_abs_diff": float(gap.max()) if gap.notna().any() else None,
                         "max_rel_diff": float(rel.max()) if rel.notna().any() else None,
                         "note": KNOWN_CORRECTIONS.get(column, "")})
        else:
            differ = new.astype(str) != old.astype(str)
            rows.append({"column": column, "n_compared": len(both), "n_differ": int(differ.sum()),
                         "max_abs_diff": None, "max_rel_diff": None, "note": KNOWN_CORRECTIONS.get(column, "")})
    out = pd.DataFrame(rows)
    out.attrs["only_regenerated"] = int((~left["_key"].isin(right["_key"])).sum())
    out.attrs["only_original"] = int((~right["_key"].isin(left["_key"])).sum())
    return out


def markdown_table(frame: pd.DataFrame) -> str:
    """A small frame as a Markdown table (empty cells for missing values)."""
    cells = frame.astype(object).where(frame.notna(), "")
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in row) + " |" for row in cells.itertuples(index=False)]
    return "\n".join(lines)


def write_release(summary: pd.DataFrame, params: StudyParameters, out: Path, source: str,
                  original_path: Path | None = None, data_source: str = "") -> pd.DataFrame:
    """Write cpc_com.csv, DATA_DICTIONARY.md and DIFF_SUMMARY.md into `out`; the regenerated frame.

    `data_source` (provenance.describe of the warehouse, or the release in paper mode) is written in both notes.
    """
    out.mkdir(parents=True, exist_ok=True)
    frame = release_frame(summary, params)
    frame.to_csv(out / RELEASE_FILE, sep=";", index=False)
    source_line = f"Data source: {data_source}." if data_source else ""
    dictionary = ["# cpc_com.csv: data dictionary", "", f"Regenerated by `netmob-tor export --release` from {source}.",
                  *([source_line] if source_line else []),
                  "One row per study commune; `;`-separated; the columns and their order are the authors' release's.", "",
                  "| column | meaning |", "|---|---|"]
    dictionary += [f"| `{name}` | {text} |" for name, text in RELEASE_COLUMNS.items()]
    dictionary += ["", CAUTION, ""]
    (out / "DATA_DICTIONARY.md").write_text("\n".join(dictionary), encoding="utf-8")
    original_path = original_path or reference_dir() / "study_release" / RELEASE_FILE
    diff = release_diff(frame, read_release(original_path))
    summary_lines = [
        "# cpc_com.csv against the original release", "",
        f"Regenerated from {source}; compared with `{original_path.name}` on the communes both hold "
        f"({diff['n_compared'].iloc[0]}; {diff.attrs['only_regenerated']} only here, {diff.attrs['only_original']} only in the original), "
        "matched on city and 5-character code. Numbers are equal when within a relative 1e-12.",
        *([source_line] if source_line else []),
        "The corrected columns are named in `note`; any other difference comes from the data the marts were built from "
        "(synthetic data, such as the embedded default, differ from the real files' traffic).", "",
        markdown_table(diff), "", CAUTION, "",
    ]
    (out / "DIFF_SUMMARY.md").write_text("\n".join(summary_lines), encoding="utf-8")
    diff.to_csv(out / "diff_summary.csv", index=False)
    return frame


def mart_descriptions(manifest: Path) -> dict[str, dict[str, object]]:
    """Each dbt mart's description and column descriptions, from the project's manifest (rendered doc blocks included)."""
    if not manifest.exists():
        raise FileNotFoundError(f"{manifest} is missing: run `dbt parse` (or `make build`) first")
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"].values()
    return {n["name"]: {"description": n["description"], "columns": {c: v["description"] for c, v in n["columns"].items()}}
            for n in nodes if n["resource_type"] == "model" and n["path"].replace("\\", "/").startswith("marts/")}


def sql_literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def write_parquet(con: duckdb.DuckDBPyConnection, out: Path, manifest: Path) -> dict[str, int]:
    """Every mart of the warehouse as out/<mart>.parquet with its dbt descriptions and the warehouse's data source
    (provenance.PARQUET_KEY, JSON) as key-value metadata; rows per mart."""
    source = as_json(read_data_source(con))
    out.mkdir(parents=True, exist_ok=True)
    present = {r[0] for r in con.execute("select table_name from information_schema.tables "
                                         "where table_schema = current_schema()").fetchall()}
    written = {}
    for name, docs in sorted(mart_descriptions(manifest).items()):
        if name not in present:
            raise UserError(f"mart {name} is not in the warehouse: build it first (make build)")
        columns = [r[0] for r in con.execute(f'describe "{name}"').fetchall()]
        undocumented = [c for c in columns if not docs["columns"].get(c)]
        if undocumented:
            raise ValueError(f"mart {name}: columns without a dbt description: {undocumented}")
        metadata = {"dbt_model": name, "dbt_description": docs["description"],
                    "dbt_column_descriptions": json.dumps({c: docs["columns"][c] for c in columns}, ensure_ascii=False),
                    PARQUET_KEY: source, "caution": CAUTION}
        kv = ", ".join(f"{key}: {sql_literal(value)}" for key, value in metadata.items())
        path = out / f"{name}.parquet"
        con.execute(f"copy (select * from \"{name}\") to {sql_literal(str(path))} (format parquet, kv_metadata {{{kv}}})")
        written[name] = con.execute(f'select count(*) from "{name}"').fetchone()[0]
    return written


def main_export(argv: Sequence[str] | None = None) -> int:
    """`netmob-tor export`: the release layout (--release DIR) and/or every mart as Parquet (--parquet DIR)."""
    parser = argparse.ArgumentParser(prog="netmob-tor export", description=__doc__.split("\n\n")[0] + " " + CAUTION,
                                     formatter_class=HelpFormatter)
    parser.add_argument("--release", type=Path, help="write cpc_com.csv, its data dictionary and diff summary here")
    parser.add_argument("--parquet", type=Path, help="write every mart here as Parquet with its dbt descriptions")
    parser.add_argument("--source", choices=["warehouse", "released"], default="warehouse",
                        help="for --release: the built commune_summary, or the study's released aggregates (paper mode)")
    parser.add_argument("--database", type=Path, default=default_database(), help="the warehouse (DuckDB file)")
    parser.add_argument("--manifest", type=Path, default=project_root() / "target" / "manifest.json",
                        help="dbt's manifest, for the marts' descriptions")
    args = parser.parse_args(argv)
    if not args.release and not args.parquet:
        parser.error("nothing to do: give --release DIR and/or --parquet DIR")
    con = None if args.source == "released" and not args.parquet else open_warehouse(args.database)
    try:
        if args.release:
            if args.source == "released":
                from netmob_tor.analysis.released import released_summary
                from netmob_tor.analysis.run import RELEASED_SOURCE

                summary, params, source = released_summary(), study_parameters(), "the study's released aggregates (paper mode)"
                data_source = RELEASED_SOURCE
            else:
                require_tables(con, ("commune_summary",), args.database)
                summary = con.execute("select * from commune_summary").df()
                params, source = study_parameters(con), f"commune_summary of {args.database.name}"
                data_source = describe(read_data_source(con))
            print(f"data source: {data_source}")
            frame = write_release(summary, params, args.release, source, data_source=data_source)
            print(f"{args.release / RELEASE_FILE}: {len(frame)} communes (see DIFF_SUMMARY.md)")
        if args.parquet:
            written = write_parquet(con, args.parquet, args.manifest)
            print(f"{args.parquet}: {len(written)} marts, {sum(written.values())} rows; the data source is in each file's "
                  f"key-value metadata ({PARQUET_KEY})")
    finally:
        if con is not None:
            con.close()
    print(CAUTION)
    return 0
