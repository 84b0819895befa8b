"""The landed value type follows the data (var traffic_value_type: auto): small whole volumes land as
INTEGER, large ones as BIGINT, a fraction makes them DOUBLE, and a day total that outgrows the
INTEGER choice after the sampled lines stops the build with a message naming the file and the tile.
Tiny hand-written files; every expected value is worked out here."""

from __future__ import annotations

from pathlib import Path

import pytest

from netmob_tor.duck import connect
from netmob_tor.paths import landing_path, project_root

SERVICES = ("Tor", "Web_Adult", "YouTube")
DAY = "20190401"
SAMPLED_LINES = 2000  # lines of each service's first file that `auto` reads (macro traffic_value_type_sniffed)


def write_day(root: Path, lines: dict[str, list[str]]) -> None:
    """One file per service for Dijon on DAY, with the given lines (`tile v01 ... v96`)."""
    for service in SERVICES:
        folder = root / "Dijon" / service / DAY
        folder.mkdir(parents=True)
        (folder / f"Dijon_{service}_{DAY}_DL.txt").write_text("\n".join(lines[service]) + "\n")


def line(tile: int, values: list[str]) -> str:
    return " ".join([str(tile), *values])


def build(dbt_build, root: Path, tmp_path: Path):
    return dbt_build(root, tmp_path / "wh.duckdb", tmp_path,
                     ["base_netmob__traffic_files", "int_traffic__tile_day_hours", "int_traffic__loaded_files"],
                     {"study_start": "2019-04-01", "study_end": "2019-04-01"})


def landed(tmp_path: Path) -> tuple[str, dict[int, float]]:
    """The type of h00 and each Tor tile's day total."""
    con = connect(landing_path(tmp_path / "wh.duckdb"), read_only=True)  # the landing's own file
    kind = con.execute("select data_type from information_schema.columns "
                       "where table_name = 'int_traffic__tile_day_hours' and column_name = 'h00'").fetchone()[0]
    totals = dict(con.execute("select tile_id, daily_dl from int_traffic__tile_day_hours "
                              "where source_file like '%Dijon_Tor_%'").fetchall())
    con.close()
    return kind, totals


@pytest.mark.parametrize(
    ("value", "kind", "total"),
    [
        ("7", "INTEGER", 7 * 96),                 # small whole volumes
        ("30000000", "BIGINT", 30_000_000 * 96),  # 3e7 x 96 x 100 > 2^31: room for busier tiles needs BIGINT
        ("0.5", "DOUBLE", 0.5 * 96),              # a fraction
    ],
)
def test_auto_type_follows_the_sampled_values(tmp_path: Path, dbt_build, value: str, kind: str, total: float) -> None:
    root = tmp_path / "root"
    write_day(root, {s: [line(1, ["1"] * 96), line(2, [value] * 96 if s == "Tor" else ["1"] * 96)] for s in SERVICES})
    result = build(dbt_build, root, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    got_kind, totals = landed(tmp_path)
    assert got_kind == kind
    assert totals == {1: 96, 2: total}


def test_integer_overflow_after_the_sample_stops_the_build_naming_file_and_tile(tmp_path: Path, dbt_build) -> None:
    root = tmp_path / "root"
    small = [line(t, ["1"] * 96) for t in range(SAMPLED_LINES)]
    big_tile = SAMPLED_LINES + 5
    # 96 x 3e7 = 2.88e9 > 2^31 - 1, on a line the sample does not see
    write_day(root, {s: small + ([line(big_tile, ["30000000"] * 96)] if s == "Tor" else []) for s in SERVICES})
    result = build(dbt_build, root, tmp_path)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "over the INTEGER range" in output
    assert f"Dijon_Tor_{DAY}_DL.txt, tile {big_tile}" in output
    assert "traffic_value_type: bigint" in output


def suspect_characters(value_type: str) -> list[str]:
    """The macro traffic_suspect_characters(value_type) of macros/traffic_file_filters.sql, rendered."""
    import jinja2

    class Returned(Exception):  # dbt's return(): the macro ends with its value
        pass

    def give(value: object) -> None:
        raise Returned(value)

    text = (project_root() / "macros" / "traffic_file_filters.sql").read_text(encoding="utf-8")
    module = jinja2.Environment(extensions=["jinja2.ext.do"]).from_string(text, globals={"return": give}).module
    try:
        module.traffic_suspect_characters(value_type)
    except Returned as returned:
        return list(returned.args[0])
    raise AssertionError("traffic_suspect_characters returned nothing")


@pytest.mark.parametrize("value_type", ["BIGINT", "DOUBLE"])
def test_every_character_duckdb_would_silently_accept_is_a_suspect(value_type: str) -> None:
    """Character by character: a token holding one that is not a plain digit (or, for DOUBLE, a decimal point, an
    exponent or a sign) is either refused by DuckDB's cast (the build stops, naming the file and line) or in the
    suspect list (its file is read token by token and the line set aside). None is read as a number silently."""
    suspects = set(suspect_characters(value_type))
    plain = set("0123456789-") | (set(".eE+") if value_type == "DOUBLE" else set())
    characters = [chr(c) for c in range(33, 127)] + ["\t", "\v", "\f"]
    con = connect()
    accepted = []
    for c in characters:
        if c in plain or c in suspects:
            continue
        for token in (f"1{c}", f"{c}1", f"1{c}1", f"0{c}1", f"1{c}5e1", f"{c}nf", f"i{c}f", f"{c}an", f"na{c}"):
            if con.execute(f"select try_cast(? as {value_type})", [token]).fetchone()[0] is not None:
                accepted.append(token)
    assert not accepted, f"DuckDB reads these {value_type} tokens as numbers but their characters are not suspects: {accepted}"
    # and each suspect is one for a reason: some token holding it is read as a number
    for c in suspects - {'"', "'"}:
        tokens = (f"1{c}5", f"0{c}1", f"1{c}000", f"{c}5", f"5{c}", "inf" if c in "iInN" else "nan")
        assert any(con.execute(f"select try_cast(? as {value_type})", [t]).fetchone()[0] is not None for t in tokens), c
