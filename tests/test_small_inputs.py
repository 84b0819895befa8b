"""The small-input generator: deterministic, calibrated to the release, in the publishers' formats."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from netmob_tor.duck import connect
from netmob_tor.paths import reference_dir
from netmob_tor.release import released_communes
from netmob_tor.synth.small_inputs import NA_INSEE, STUDY_CATEGORIES, write_small_inputs

CITY = "Dijon"
SEED = 20190316


def city_geojson(path: Path, communes: pd.DataFrame) -> Path:
    """A study-style commune GeoJSON (INSEE_COM, NOM, …) built from the reference métropole polygons."""
    by_code = communes.set_index("commune_code")
    source = json.loads((reference_dir() / "netmob23_geography" / "cities_communes" / f"{CITY}.geojson").read_text())
    features = []
    for feature in source["features"]:
        code = str(feature["properties"]["code"]).zfill(5)
        if code in by_code.index:
            row = by_code.loc[code]
            feature["properties"] = {"INSEE_COM": code, "NOM": feature["properties"]["nom"],
                                     "INSEE_DEP": row.department, "SIREN_EPCI": row.epci,
                                     "POPULATION": int(row.population)}
            features.append(feature)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


@pytest.fixture(scope="module")
def communes() -> pd.DataFrame:
    """The study communes of one city."""
    data = released_communes()
    return data[data["city"] == CITY].reset_index(drop=True)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, communes: pd.DataFrame) -> dict[str, dict[str, Path]]:
    """Two runs with the same seed and one with another seed."""
    root = tmp_path_factory.mktemp("small")
    geojson = city_geojson(root / "communes.geojson", communes)
    return {
        name: write_small_inputs(root / name, communes, geojson, seed)
        for name, seed in (("a", SEED), ("b", SEED), ("c", SEED + 1))
    }


def test_same_seed_gives_identical_bytes(generated: dict[str, dict[str, Path]]) -> None:
    assert generated["a"].keys() == generated["b"].keys()
    for name, path in generated["a"].items():
        assert path.read_bytes() == generated["b"][name].read_bytes(), name


def test_other_seed_differs(generated: dict[str, dict[str, Path]]) -> None:
    for name in ("ssmsi_delinquance", "insee_indicateurs_communes", "elections_presidentielle_2017", "overture_places"):
        assert generated["a"][name].read_bytes() != generated["c"][name].read_bytes(), name


def read_ssmsi(path: Path) -> pd.DataFrame:
    """The SSMSI file with decimal commas read as a French reader would."""
    return pd.read_csv(path, sep=";", decimal=",", dtype={"CODGEO_2023": str, "annee": str})


def test_ssmsi_commune_means_match_release(generated: dict[str, dict[str, Path]], communes: pd.DataFrame) -> None:
    ssmsi = read_ssmsi(generated["a"]["ssmsi_delinquance"])
    sv = ssmsi[(ssmsi["classe"] == "Violences sexuelles") & ssmsi["annee"].isin(["17", "18", "19", "20", "21"])]
    sv = sv.assign(with_fallback=sv["tauxpourmille"].fillna(sv["complementinfotaux"]))
    means = sv.groupby("CODGEO_2023").agg(com=("tauxpourmille", "mean"), all=("with_fallback", "mean"))
    y19 = sv[sv["annee"] == "19"].set_index("CODGEO_2023")["tauxpourmille"]
    merged = communes.set_index("commune_code").join(means).join(y19.rename("com19"))
    merged = merged[merged["sv_17_21"].notna()]
    assert merged["com"].isna().equals(merged["sv_com_17_21"].isna())
    pd.testing.assert_series_equal(merged["com"], merged["sv_com_17_21"], check_names=False, rtol=1e-12, atol=1e-12)
    pd.testing.assert_series_equal(merged["all"], merged["sv_17_21"], check_names=False, rtol=1e-12, atol=1e-12)
    pd.testing.assert_series_equal(merged["com19"], merged["sv_com_19"], check_names=False, rtol=1e-12, atol=1e-12)


def test_ssmsi_format(generated: dict[str, dict[str, Path]]) -> None:
    text = generated["a"]["ssmsi_delinquance"].read_text(encoding="utf-8")
    header = text.splitlines()[0]
    assert header.startswith('"CODGEO_2023";"annee";"classe";"unité.de.compte";"valeur.publiée"')
    ssmsi = read_ssmsi(generated["a"]["ssmsi_delinquance"])
    assert ssmsi["CODGEO_2023"].str.len().eq(5).all()
    assert set(ssmsi["annee"]) == {f"{y}" for y in range(16, 23)}
    assert {"Violences sexuelles", "Usage de stupéfiants"} <= set(ssmsi["classe"])
    assert re.search(r";\d+,\d+;", text)  # decimal commas
    ndiff = ssmsi[ssmsi["valeur.publiée"] == "ndiff"]
    assert ndiff["tauxpourmille"].isna().all() and ndiff["complementinfotaux"].notna().all()


def test_insee_files_keep_na_strings(generated: dict[str, dict[str, Path]]) -> None:
    epci = generated["a"]["insee_pauvrete_epci"].read_text(encoding="utf-8")
    dept = generated["a"]["insee_chomage_departements"].read_text(encoding="utf-8")
    assert epci.splitlines()[0] == "Code;Libellé;Taux de pauvreté 2020"
    assert NA_INSEE in epci and NA_INSEE in dept
    assert "\n01;Ain;5.5\n" in dept  # real value, leading zero, decimal point


def test_election_codes(generated: dict[str, dict[str, Path]]) -> None:
    lines = generated["a"]["elections_presidentielle_2017"].read_text(encoding="utf-8").splitlines()
    assert lines[0].count("Voix") == 11
    rows = [line.split(";") for line in lines[1:]]
    assert all(len(r) == 10 + 11 * 5 for r in rows)
    assert any(r[0].startswith("Z") for r in rows)
    assert all(len(r[2]) == 3 for r in rows)


def test_poi_counts_per_commune_match_release(generated: dict[str, dict[str, Path]], communes: pd.DataFrame) -> None:
    poi = pd.read_csv(reference_dir() / "study_release" / "poi.csv", dtype={"code_com": str})
    poi["commune_code"] = poi["code_com"].str.zfill(5)
    places = generated["a"]["overture_places"]
    geojson = places.parents[2] / "communes.geojson"
    con = connect()
    counted = con.execute(
        f"""
        select c.INSEE_COM as commune_code, p.categories.main as category, count(*) as n
        from read_parquet('{places}') as p
        join st_read('{geojson}') as c on st_contains(c.geom, st_geomfromwkb(p.geometry))
        group by all
        """
    ).df().set_index(["commune_code", "category"])["n"]
    con.close()
    expected = communes.merge(poi, on="commune_code")
    expected = expected[expected["commune_code"].isin(counted.index.get_level_values(0))]
    assert len(expected) >= 5
    for row in expected.itertuples(index=False):
        for category in STUDY_CATEGORIES:
            want = int(round(getattr(row, category) * row.population / 1000))
            assert counted.get((row.commune_code, category), 0) == want, (row.commune_code, category)
