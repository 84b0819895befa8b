"""Small open inputs of the study (crime, census, election, places, trends, CyberTipline) in the
publishers' real file formats: synthetic where the study did not release them, copied where it did.

Every random draw comes from `numpy.random.default_rng(seed + k)` with a fixed `k` per input and all
output is sorted, so the same seed gives byte-identical files.
"""

from __future__ import annotations

import csv
import io
import math
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from netmob_tor.duck import connect
from netmob_tor.params import defaults
from netmob_tor.paths import reference_dir

STUDY = defaults()  # the inputs are written for the study's parameters
NA_INSEE = "N/A - résultat non disponible"
# Two-digit years of the mean sexual-violence rate (the release's sv_17_21) and its single year (sv_19).
SV_YEARS = tuple(y % 100 for y in range(STUDY.sv_years[0], STUDY.sv_years[1] + 1))
SV_REFERENCE = STUDY.sv_reference_year % 100
N_SV = len(SV_YEARS)
SSMSI_YEARS = (16, 17, 18, 19, 20, 21, 22)
SSMSI_HEADER = (
    "CODGEO_2023", "annee", "classe", "unité.de.compte", "valeur.publiée", "faits", "tauxpourmille",
    "complementinfoval", "complementinfotaux", "POP", "millPOP", "LOG", "millLOG",
)
SEXUAL_VIOLENCE = (STUDY["sexual_violence_indicator"], "victime")
# Synthetic Poisson classes: (classe, unit, national mean rate per 1000).
COUNTED_CLASSES = (
    (STUDY["drug_use_indicator"], "Mis en cause", 2.2),
    ("Cambriolages de logement", "infraction", 4.5),
    ("Destructions et dégradations volontaires", "infraction", 7.0),
)
STUDY_CATEGORIES = STUDY.poi_categories
OTHER_CATEGORIES = (
    "restaurant", "bakery", "pharmacy", "hotel", "park", "supermarket", "hair_salon", "bar",
    "community_services_non_profits", "public_service_and_government",
)
# 2017 presidential first round, in ballot-panel order: (Sexe, Nom, Prénom, mean share of expressed).
CANDIDATES_2017 = (
    ("M", "DUPONT-AIGNAN", "Nicolas", 0.047),
    ("F", "LE PEN", "Marine", 0.213),
    ("M", "MACRON", "Emmanuel", 0.240),
    ("M", "HAMON", "Benoît", 0.064),
    ("F", "ARTHAUD", "Nathalie", 0.006),
    ("M", "POUTOU", "Philippe", 0.011),
    ("M", "CHEMINADE", "Jacques", 0.002),
    ("M", "LASSALLE", "Jean", 0.012),
    ("M", "MÉLENCHON", "Jean-Luc", 0.196),
    ("M", "ASSELINEAU", "François", 0.009),
    ("M", "FILLON", "François", 0.200),
)
# Overseas blocks of the ministry file (department codes Z*), which the study excludes.
OVERSEAS_2017 = (
    ("ZA", "Guadeloupe", "101", "Les Abymes"),
    ("ZB", "Martinique", "209", "Le Lamentin"),
    ("ZD", "La Réunion", "411", "Saint-Denis"),
)
# Parent communes of the municipal districts: the ministry's commune file has only the city.
DISTRICT_PARENTS = {"13": ("055", "Marseille"), "69": ("123", "Lyon"), "75": ("056", "Paris")}


# --------------------------------------------------------------------------- formatting helpers

def decimal_comma(value: float | None) -> str:
    """A number as French decimal-comma text with a shortest exact round trip; empty for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return np.format_float_positional(float(value), unique=True, trim="-").replace(".", ",")


def quoted(text: str) -> str:
    """Text field quoted as the SSMSI export quotes it."""
    return '"' + text.replace('"', '""') + '"'


def write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text with Unix line ends, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def write_semicolon_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    """A `;`-separated UTF-8 file, quoting only where needed (INSEE and ministry exports)."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return write_text(path, buf.getvalue())


# --------------------------------------------------------------------------- geometry

def commune_shapes(communes_geojson: Path) -> pd.DataFrame:
    """Commune code, Lambert-93 area (km²) and WGS84 bounding box of every polygon, sorted by code."""
    con = connect()
    try:
        cols = {r[0] for r in con.execute("describe select * from st_read(?)", [str(communes_geojson)]).fetchall()}
        code_col = "INSEE_COM" if "INSEE_COM" in cols else "code"
        return con.execute(
            f"""
            select lpad(cast("{code_col}" as varchar), 5, '0') as commune_code,
                   st_area(st_transform(geom, 'EPSG:4326', 'EPSG:2154', always_xy := true)) / 1e6 as area_km2,
                   st_xmin(geom) as xmin, st_xmax(geom) as xmax, st_ymin(geom) as ymin, st_ymax(geom) as ymax
            from st_read(?)
            order by commune_code
            """,
            [str(communes_geojson)],
        ).df()
    finally:
        con.close()


# --------------------------------------------------------------------------- SSMSI

def ssmsi_row(code: str, year: int, classe: tuple[str, str], published: bool, faits: float | None,
              rate: float | None, fallback_rate: float | None, pop: int) -> str:
    """One line of the SSMSI commune file; unpublished lines carry only the department fallback."""
    fallback_val = None if fallback_rate is None else round(fallback_rate * pop / 1000, 1)
    fields = [
        quoted(code), quoted(f"{year:02d}"), quoted(classe[0]), quoted(classe[1]),
        quoted("diff" if published else "ndiff"),
        "" if faits is None else str(int(faits)),
        decimal_comma(rate) if published else "",
        "" if published else decimal_comma(fallback_val),
        "" if published else decimal_comma(fallback_rate),
        str(pop), quoted(f"{year:02d}"), str(int(round(pop * 0.48))), quoted(f"{year:02d}"),
    ]
    return ";".join(fields)


def split_sum(total: float, n: int, rng: np.random.Generator) -> list[float]:
    """`n` non-negative values summing to `total` (the last absorbs the rounding)."""
    if n == 0:
        return []
    weights = rng.gamma(2.0, 1.0, n)
    parts = [float(total * w / weights.sum()) for w in weights[:-1]]
    return parts + [float(total - sum(parts))]


def sv_fallback_only(s: float, s19: float) -> dict[int, float]:
    """Department fallback per year for an unpublished commune: 2019 = sv_19, mean over 2017-2021 = sv_17_21."""
    other = max((N_SV * s - s19) / (N_SV - 1), 0.0)
    return {y: (s19 if y == SV_REFERENCE else other) for y in SV_YEARS}


def sv_published_plan(m: float, m19: float | None, s: float, s19: float, dept_level: float,
                      rng: np.random.Generator) -> tuple[dict[int, float], dict[int, float]]:
    """Published commune rates (mean = sv_com_17_21, 2019 = sv_com_19) and fallbacks for the other years.

    The unpublished years are chosen so that the mean over 2017-2021 of (commune rate, else
    fallback) equals the release's sv_17_21, with fallbacks as close as possible to the department level.
    """
    pub19 = m19 is not None
    if pub19 and abs(s - m) < 5e-7:
        unpublished: list[int] = []
    else:
        best: tuple[float, list[int]] | None = None
        others = [y for y in SV_YEARS if y != SV_REFERENCE]
        for k in range(1, N_SV if pub19 else N_SV + 1):
            n_pub = N_SV - k
            if n_pub == 0 or (pub19 and n_pub == 1 and abs(m - m19) > 1e-9):
                continue
            if pub19 and n_pub * m - m19 < -1e-12:
                continue
            need = N_SV * s - n_pub * m
            if pub19:
                per_year = need / k
            elif k == 1:
                if abs(need - s19) > 5e-6:
                    continue
                per_year = s19
            else:
                per_year = (need - s19) / (k - 1)
            if per_year < 0:
                continue
            score = abs(per_year - dept_level)
            if best is None or score < best[0]:
                chosen = sorted(rng.choice(others, size=k if pub19 else k - 1, replace=False).tolist())
                best = (score, chosen if pub19 else sorted(chosen + [SV_REFERENCE]))
        unpublished = best[1] if best else [y for y in SV_YEARS if y != SV_REFERENCE or not pub19]
    published = [y for y in SV_YEARS if y not in unpublished]
    rates: dict[int, float] = {}
    free = [y for y in published if not (pub19 and y == SV_REFERENCE)]
    target = len(published) * m - (m19 if pub19 else 0.0)
    rates.update(zip(free, split_sum(max(target, 0.0), len(free), rng)))
    if pub19:
        rates[SV_REFERENCE] = m19
    need = N_SV * s - sum(rates.values())
    fallbacks: dict[int, float] = {}
    if SV_REFERENCE in unpublished:
        fallbacks[SV_REFERENCE] = s19
        need -= s19
    rest = [y for y in unpublished if y != SV_REFERENCE]
    fallbacks.update({y: max(need / len(rest), 0.0) for y in rest})
    return rates, fallbacks


def nan_to_none(value: object) -> float | None:
    """A float, or None for NaN/None."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return float(value)


def sexual_violence_lines(communes: pd.DataFrame, rng: np.random.Generator) -> list[tuple[str, int, str]]:
    """SSMSI lines for `Violences sexuelles`, 2016-2022, reproducing the release's commune and fallback rates."""
    full = communes[communes["sv_com_17_21"].isna() & communes["sv_17_21"].notna()]
    dept_level = full.groupby("department")["sv_17_21"].first().to_dict()
    lines: list[tuple[str, int, str]] = []
    for row in communes.sort_values("commune_code").itertuples(index=False):
        s, s19 = nan_to_none(row.sv_17_21), nan_to_none(row.sv_19)
        if s is None or s19 is None:
            continue  # no SSMSI record (e.g. a commune déléguée)
        m, m19 = nan_to_none(row.sv_com_17_21), nan_to_none(row.sv_com_19)
        pop = int(row.population)
        if m is None:
            rates, fallbacks = {}, sv_fallback_only(s, s19)
        else:
            rates, fallbacks = sv_published_plan(m, m19, s, s19, dept_level.get(row.department, s), rng)
        edge_rate = float(np.mean(list(rates.values())) * rng.lognormal(0, 0.2)) if rates else 0.0
        for year in SSMSI_YEARS:
            if year in rates:
                rate = rates[year]
            elif year in fallbacks:
                rate = None
            elif rates:
                rate = edge_rate
            else:
                rate = None
            fallback = fallbacks.get(year, s * rng.lognormal(0, 0.1))
            faits = None if rate is None else round(rate * pop / 1000)
            line = ssmsi_row(row.commune_code, year, SEXUAL_VIOLENCE, rate is not None, faits, rate,
                             None if rate is not None else fallback, pop)
            lines.append((row.commune_code, year, line))
    return lines


def counted_class_lines(communes: pd.DataFrame, classe: tuple[str, str, float],
                        rng: np.random.Generator) -> list[tuple[str, int, str]]:
    """Poisson SSMSI lines for one class; communes under 5 expected facts over 3 years get the department rate."""
    departments = sorted(communes["department"].unique())
    dept_rate = {(d, y): classe[2] * rng.lognormal(0, 0.35) for d in departments for y in SSMSI_YEARS}
    lines: list[tuple[str, int, str]] = []
    for row in communes.sort_values("commune_code").itertuples(index=False):
        pop = int(row.population)
        multiplier = rng.lognormal(0, 0.5)
        for year in SSMSI_YEARS:
            lam = dept_rate[(row.department, year)] * multiplier * pop / 1000
            faits = int(rng.poisson(lam))
            published = 3 * lam >= 5
            rate = faits / pop * 1000 if published else None
            fallback = None if published else dept_rate[(row.department, year)]
            line = ssmsi_row(row.commune_code, year, classe[:2], published,
                             faits if published else None, rate, fallback, pop)
            lines.append((row.commune_code, year, line))
    return lines


def write_ssmsi(out: Path, communes: pd.DataFrame, seed: int) -> Path:
    """`ssmsi/delinquance_communes.csv`: the SSMSI commune × year × class file as the study read it."""
    lines = sexual_violence_lines(communes, np.random.default_rng(seed + 1))
    for i, classe in enumerate(COUNTED_CLASSES):
        lines += counted_class_lines(communes, classe, np.random.default_rng(seed + 2 + i))
    order = {SEXUAL_VIOLENCE[0]: 0, **{c[0]: i + 1 for i, c in enumerate(COUNTED_CLASSES)}}
    lines.sort(key=lambda t: (t[0], t[1], order[t[2].split(";")[2].strip('"')]))
    header = ";".join(quoted(h) for h in SSMSI_HEADER)
    return write_text(out / "ssmsi" / "delinquance_communes.csv", "\n".join([header] + [t[2] for t in lines]) + "\n")


# --------------------------------------------------------------------------- INSEE

def workbook_indicator(workbook: Path, code_col: str, value_col: str) -> list[list[str]]:
    """Code, label and one indicator of an INSEE workbook's `Data` sheet, as exported text."""
    data = pd.read_excel(workbook, sheet_name="Data", dtype=str)
    data = data[[code_col, "Libellé", value_col]].fillna(NA_INSEE).sort_values(code_col)
    return data.values.tolist()


def write_insee_workbooks(out: Path) -> dict[str, Path]:
    """Department unemployment and EPCI poverty as INSEE CSV exports (real values from the workbooks)."""
    release = reference_dir() / "study_release"
    unemployment = "Taux de chômage annuel moyen 2022"
    poverty = "Taux de pauvreté 2020"
    return {
        "insee_chomage_departements": write_semicolon_csv(
            out / "insee" / "chomage_departements.csv", ["Code", "Libellé", unemployment],
            workbook_indicator(release / "department_level_demographic_data_2.xlsx", "code_dept", unemployment)),
        "insee_pauvrete_epci": write_semicolon_csv(
            out / "insee" / "pauvrete_epci.csv", ["Code", "Libellé", poverty],
            workbook_indicator(release / "inter_communalite_demographic_data_2.xlsx", "code_epci", poverty)),
    }


def indicator_geography(communes: pd.DataFrame) -> pd.DataFrame:
    """The INSEE 2023 geography for the study communes: communes déléguées are replaced by their parent."""
    admin = pd.read_csv(reference_dir() / "admin" / "study_communes_admin.csv", dtype=str)
    deleguee = admin[admin["kind"] == "commune-deleguee"].set_index("code_commune")["parent_commune"]
    geo = communes[["commune_code", "commune_name", "population"]].copy()
    geo["insee_code"] = geo["commune_code"].map(lambda c: deleguee.get(c, c))
    return geo


def write_insee_communes(out: Path, communes: pd.DataFrame, shapes: pd.DataFrame, seed: int) -> Path:
    """`insee/indicateurs_communes.csv`: synthetic density and share of singles, INSEE export layout."""
    rng = np.random.default_rng(seed + 3)
    geo = indicator_geography(communes).merge(shapes[["commune_code", "area_km2"]], on="commune_code", how="left")
    geo = geo.sort_values("commune_code").drop_duplicates("insee_code")
    rows: list[list[str]] = []
    for row in geo.sort_values("insee_code").itertuples(index=False):
        noise, singles_noise, missing = rng.lognormal(0, 0.05), rng.normal(0, 3), rng.random()
        if pd.isna(row.area_km2) or row.area_km2 <= 0 or missing < 0.01:
            density = NA_INSEE
        else:
            density = f"{row.population / row.area_km2 * noise:.1f}"
        log_density = math.log10(max(row.population / row.area_km2, 1)) if not pd.isna(row.area_km2) and row.area_km2 > 0 else 2.5
        singles = float(np.clip(34 + 5.5 * log_density + singles_noise, 35, 60))
        singles_text = NA_INSEE if 0.01 <= missing < 0.02 else f"{singles:.1f}"
        name = row.commune_name if row.insee_code == row.commune_code else f"Commune {row.insee_code}"
        rows.append([row.insee_code, name, density, singles_text])
    return write_semicolon_csv(
        out / "insee" / "indicateurs_communes.csv",
        ["Code", "Libellé", "Densité de population (historique depuis 1876) 2020",
         "Part des personnes de 15 ans ou plus célibataires 2020"],
        rows,
    )


# --------------------------------------------------------------------------- elections

def department_names() -> dict[str, str]:
    """Department code -> name, from the INSEE department workbook."""
    data = pd.read_excel(reference_dir() / "study_release" / "department_level_demographic_data_2.xlsx",
                         sheet_name="Data", dtype=str)
    return dict(zip(data["code_dept"], data["Libellé"]))


def election_geography(communes: pd.DataFrame) -> pd.DataFrame:
    """The ministry's 2017 commune list for the study communes: districts collapse into their city."""
    geo = communes[["commune_code", "commune_name", "department", "population"]].copy()
    is_district = geo["commune_code"].str.match(r"^(751\d\d|6938\d|132\d\d)$")
    for dept, (suffix, name) in DISTRICT_PARENTS.items():
        mask = is_district & (geo["department"] == dept)
        geo.loc[mask, "commune_code"] = dept + suffix
        geo.loc[mask, "commune_name"] = name
    return geo.groupby(["commune_code", "commune_name", "department"], as_index=False)["population"].sum()


def election_row(dept_code: str, dept_name: str, commune_part: str, commune_name: str, population: int,
                 rng: np.random.Generator) -> list[str]:
    """One commune of the 2017 first-round file: counts, then one block per candidate."""
    registered = max(int(population * rng.uniform(0.62, 0.78)), 50)
    voters = int(registered * float(np.clip(rng.normal(0.79, 0.05), 0.67, 0.9)))
    blank = int(voters * rng.uniform(0.01, 0.03))
    void = int(voters * rng.uniform(0.005, 0.015))
    expressed = voters - blank - void
    shares = rng.dirichlet(np.array([c[3] for c in CANDIDATES_2017]) * 120)
    votes = np.floor(shares * expressed).astype(int)
    votes[int(np.argmax(votes))] += expressed - votes.sum()
    row = [dept_code, dept_name, commune_part, commune_name, str(registered), str(registered - voters),
           str(voters), str(blank), str(void), str(expressed)]
    for panel, (candidate, n) in enumerate(zip(CANDIDATES_2017, votes), start=1):
        row += [str(panel), candidate[0], candidate[1], candidate[2], str(int(n))]
    return row


def write_elections(out: Path, communes: pd.DataFrame, seed: int) -> Path:
    """`elections/presidentielle_2017_t1_communes.csv`: synthetic results in the ministry's commune layout."""
    rng = np.random.default_rng(seed + 4)
    names = department_names()
    rows: list[list[str]] = []
    for row in election_geography(communes).sort_values("commune_code").itertuples(index=False):
        dept = row.department.lstrip("0") if row.department[0] == "0" else row.department
        rows.append(election_row(dept, names.get(row.department, row.department), row.commune_code[-3:],
                                 row.commune_name, int(row.population), rng))
    for dept, dept_name, part, name in OVERSEAS_2017:
        rows.append(election_row(dept, dept_name, part, name, 40000, rng))
    header = ["Code du département", "Libellé du département", "Code de la commune", "Libellé de la commune",
              "Inscrits", "Abstentions", "Votants", "Blancs", "Nuls", "Exprimés"]
    header += ["N°Panneau", "Sexe", "Nom", "Prénom", "Voix"] * len(CANDIDATES_2017)
    return write_semicolon_csv(out / "elections" / "presidentielle_2017_t1_communes.csv", header, rows)


# --------------------------------------------------------------------------- Overture places

def poi_targets(communes: pd.DataFrame, shapes: pd.DataFrame, seed: int) -> pd.DataFrame:
    """One row per place to draw: commune, category, alternates; study categories match poi.csv × pop / 1000."""
    rng = np.random.default_rng(seed + 5)
    poi = pd.read_csv(reference_dir() / "study_release" / "poi.csv", dtype={"code_com": str})
    poi["commune_code"] = poi["code_com"].str.replace(r"\.0$", "", regex=True).str.zfill(5)
    merged = communes[["commune_code", "population"]].merge(poi, on="commune_code").merge(
        shapes[["commune_code"]], on="commune_code").sort_values("commune_code")
    rows: list[tuple[str, str, str]] = []
    for rec in merged.itertuples(index=False):
        for cat in STUDY_CATEGORIES:
            n = int(round(getattr(rec, cat) * rec.population / 1000))
            rows += [(rec.commune_code, cat, "")] * n
        n_other = int(rng.poisson(2 + min(rec.population, 200000) / 4000))
        for cat in rng.choice(OTHER_CATEGORIES, size=n_other):
            alt = rng.choice(OTHER_CATEGORIES, size=int(rng.integers(0, 3)), replace=False)
            rows.append((rec.commune_code, str(cat), ",".join(a for a in alt if a != cat)))
    targets = pd.DataFrame(rows, columns=["commune_code", "category", "alternate"])
    targets["id"] = [f"08f{rng.integers(0, 2**60):015x}{i:06x}" for i in range(len(targets))]
    targets["confidence"] = np.round(rng.uniform(0.3, 1.0, len(targets)), 6)
    targets["name"] = [f"{c.replace('_', ' ').title()} {i}" for i, c in enumerate(targets["category"])]
    return targets


def sample_in_polygons(con: duckdb.DuckDBPyConnection, table: str, need: pd.Series, boxes: pd.DataFrame,
                       rng: np.random.Generator) -> dict[str, list[tuple[float, float]]]:
    """`need[code]` lon/lat points inside the polygon of each commune code of `table` (commune_code, geom),
    by rejection sampling in its bounding box (`boxes`: xmin, xmax, ymin, ymax, indexed by commune_code)."""
    got: dict[str, list[tuple[float, float]]] = {c: [] for c in need.index}
    factor = 4
    while any(len(got[c]) < need[c] for c in need.index):
        cand = []
        for code in need.index:
            missing = need[code] - len(got[code])
            if missing <= 0:
                continue
            k = missing * factor + 8
            xs = rng.uniform(boxes.at[code, "xmin"], boxes.at[code, "xmax"], k)
            ys = rng.uniform(boxes.at[code, "ymin"], boxes.at[code, "ymax"], k)
            cand.append(pd.DataFrame({"commune_code": code, "seq": np.arange(k), "x": xs, "y": ys}))
        candidates = pd.concat(cand, ignore_index=True)
        con.register("candidates", candidates)
        inside = con.execute(
            f"select c.commune_code, c.seq, c.x, c.y from candidates c join {table} s using (commune_code) "
            "where st_contains(s.geom, st_point(c.x, c.y)) order by c.commune_code, c.seq"
        ).df()
        con.unregister("candidates")
        for code, grp in inside.groupby("commune_code", sort=True):
            missing = need[code] - len(got[code])
            got[code] += list(zip(grp["x"].tolist(), grp["y"].tolist()))[:missing]
        factor *= 4
    return got


def sample_points(con: duckdb.DuckDBPyConnection, targets: pd.DataFrame, boxes: pd.DataFrame,
                  rng: np.random.Generator, table: str = "shapes") -> pd.DataFrame:
    """Lon/lat of each target inside its commune's polygon in `table` (by default the whole commune),
    by rejection sampling in the polygon's bounding box (`boxes`, one row per commune_code)."""
    need = targets.groupby("commune_code").size()
    got = sample_in_polygons(con, table, need, boxes.set_index("commune_code"), rng)
    points = targets.sort_values(["commune_code", "id"]).copy()
    xy = [p for code in sorted(need.index) for p in got[code]]
    points["x"] = [p[0] for p in xy]
    points["y"] = [p[1] for p in xy]
    return points


TILE_SQL = """
select regexp_extract(filename, '([^/\\\\]+)\\.geojson$', 1) as city,
       f.properties.tile_id::bigint as tile_id,
       ST_GeomFromGeoJSON(f.geometry) as geom
from (
    select filename, unnest(features) as f
    from read_json($tiles, filename = true, format = 'auto', maximum_object_size = 268435456,
                   columns = {'features': 'STRUCT(properties STRUCT(tile_id BIGINT), geometry JSON)[]'})
)
"""
"""Every tile polygon of the NetMob grid files (`grid/<City>.geojson`) the generator wrote."""
SHRINK_AFTER = 3  # rejection rounds at full tile size before candidates close in on the centroid
MAX_ROUNDS = 40  # the last round uses the centroid itself
BEYOND_GRID_MIN_KM2 = 0.05  # a commune's part beyond every grid smaller than this (5 ha) gets no place


def load_tiles(con: duckdb.DuckDBPyConnection, grid_dir: Path, tile_weights: pd.DataFrame) -> pd.DataFrame:
    """Table `tiles` (city, tile_id, geom) and, per tile of a commune, its traffic weight, centroid and
    corners (NW, NE, SE, SW), sorted by commune and tile id."""
    weights = tile_weights[["city", "tile_id", "group", "weight"]].rename(columns={"group": "commune_code"})
    con.execute("create table tiles as " + TILE_SQL, {"tiles": str(grid_dir / "*.geojson")})
    con.register("tile_weights", weights)
    cells = con.execute(
        """
        select w.commune_code, w.city, w.tile_id, w.weight,
               st_x(st_centroid(t.geom)) as cx, st_y(st_centroid(t.geom)) as cy,
               """ + ", ".join(f"st_x(st_pointn(st_exteriorring(t.geom), {k})) as x{k}, "
                               f"st_y(st_pointn(st_exteriorring(t.geom), {k})) as y{k}" for k in range(1, 5)) + """
        from tile_weights w join tiles t using (city, tile_id)
        order by w.commune_code, w.city, w.tile_id
        """
    ).df()
    con.unregister("tile_weights")
    if len(cells) != len(weights):
        raise RuntimeError(f"{len(weights) - len(cells)} weighted tiles have no polygon in {grid_dir}")
    return cells


def choose_tiles(targets: pd.DataFrame, cells: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Row of `cells` for each target (sorted by commune, id): a tile of its commune, drawn with
    probability proportional to the tile's share of the commune's traffic."""
    by_commune = {code: grp for code, grp in cells.groupby("commune_code", sort=True)}
    rows: list[np.ndarray] = []
    for code, n in targets.groupby("commune_code", sort=True).size().items():
        if code not in by_commune:
            raise RuntimeError(f"commune {code} has places to draw but no tile of the grid")
        grp = by_commune[code]
        p = grp["weight"].to_numpy() / grp["weight"].sum()
        rows.append(grp.index.to_numpy()[rng.choice(len(grp), size=n, p=p)])
    return np.concatenate(rows)


def sample_points_in_tiles(con: duckdb.DuckDBPyConnection, targets: pd.DataFrame, cells: pd.DataFrame,
                           rng: np.random.Generator) -> pd.DataFrame:
    """Lon/lat of each target inside a traffic-weighted tile of its commune, so that the study's rule
    (the tile holding the point, then the tile's commune) gives the release's per-commune counts and
    the places are where the traffic is.

    The point is uniform over the tile and free of the commune polygon: in a tile that crosses a
    commune border (its centroid in the commune) some points lie in the neighbour's polygon, or in
    none, as real places do; there the commune-polygon rule counts them elsewhere. Candidates are
    bilinear points of the tile's corners, inside the tile and in no other city's tile, redrawn until
    they are; after SHRINK_AFTER rounds they are pulled halfway to the centroid each round, the last
    round being the centroid.
    """
    points = targets.sort_values(["commune_code", "id"]).reset_index(drop=True)
    chosen = cells.loc[choose_tiles(points, cells, rng)].reset_index(drop=True)
    points["city"], points["tile_id"] = chosen["city"], chosen["tile_id"]
    corners = [(chosen[f"x{k}"].to_numpy(), chosen[f"y{k}"].to_numpy()) for k in range(1, 5)]
    x, y = np.full(len(points), np.nan), np.full(len(points), np.nan)
    todo = np.arange(len(points))
    for round_no in range(MAX_ROUNDS):
        u, v = rng.random(len(todo)), rng.random(len(todo))
        scale = 0.0 if round_no == MAX_ROUNDS - 1 else 0.5 ** max(round_no - SHRINK_AFTER + 1, 0)
        cx, cy = chosen["cx"].to_numpy()[todo], chosen["cy"].to_numpy()[todo]
        w = ((1 - u) * (1 - v), u * (1 - v), u * v, (1 - u) * v)  # NW, NE, SE, SW
        qx = sum(wk * c[0][todo] for wk, c in zip(w, corners))
        qy = sum(wk * c[1][todo] for wk, c in zip(w, corners))
        cand = pd.DataFrame({"k": todo, "city": points["city"].to_numpy()[todo], "tile_id": points["tile_id"].to_numpy()[todo],
                             "x": cx + scale * (qx - cx), "y": cy + scale * (qy - cy)})
        con.register("candidates", cand)
        inside = con.execute(
            """
            with in_tile as (
                select c.k, c.city, c.x, c.y, st_point(c.x, c.y) as p
                from candidates c join tiles t using (city, tile_id)
                where st_contains(t.geom, st_point(c.x, c.y))
            ),
            hits as (
                select in_tile.k, in_tile.city as own_city, o.city
                from in_tile join tiles o on st_intersects(o.geom, in_tile.p)
            ),
            in_other_city as (
                -- the city test after the join, in an aggregate: inside the join it turns DuckDB's spatial
                -- join into a nested loop over every candidate and tile (96 M pairs, 18 s at scale 20)
                select k from hits group by k having bool_or(city <> own_city)
            )
            select k, x, y from in_tile anti join in_other_city using (k) order by k
            """
        ).df()
        con.unregister("candidates")
        k = inside["k"].to_numpy()
        x[k], y[k] = inside["x"].to_numpy(), inside["y"].to_numpy()
        todo = todo[np.isnan(x[todo])]
        if not len(todo):
            break
    if len(todo):
        codes = sorted(set(points["commune_code"].to_numpy()[todo]))
        raise RuntimeError(f"no point found inside a tile of communes {codes[:10]} outside every other city's grid")
    points["x"], points["y"] = x, y
    return points.drop(columns=["city", "tile_id"])


def beyond_grid(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Table `beyond` (commune_code, geom): each commune polygon (table `shapes`) less the convex hull of
    every city's grid tiles (table `tiles`), where at least BEYOND_GRID_MIN_KM2 remain; returns per such
    commune the share of its area beyond the grids (Lambert-93 areas) and the part's bounding box."""
    con.execute(
        f"""
        create or replace table beyond as
        with hulls as (
            select st_convexhull(st_collect(list(geom))) as hull from tiles group by city
        ),
        grids as (
            select st_union_agg(hull) as geom from hulls
        ),
        parts as (
            select shapes.commune_code, shapes.geom as whole,
                   st_collectionextract(st_difference(shapes.geom, grids.geom), 3) as geom
            from shapes cross join grids
        ),
        measured as (
            select commune_code, geom,
                   st_area(st_transform(geom, 'EPSG:4326', 'EPSG:2154', always_xy := true)) / 1e6 as beyond_km2,
                   st_area(st_transform(whole, 'EPSG:4326', 'EPSG:2154', always_xy := true)) / 1e6 as area_km2
            from parts
            where not st_isempty(geom)
        )
        select commune_code, geom, beyond_km2 / area_km2 as share_beyond
        from measured
        where beyond_km2 >= {BEYOND_GRID_MIN_KM2}
        """
    )
    return con.execute(
        "select commune_code, share_beyond, st_xmin(geom) as xmin, st_xmax(geom) as xmax, "
        "st_ymin(geom) as ymin, st_ymax(geom) as ymax from beyond order by commune_code"
    ).df()


def beyond_grid_targets(targets: pd.DataFrame, communes: pd.DataFrame, beyond: pd.DataFrame,
                        rng: np.random.Generator) -> pd.DataFrame:
    """Study-category places in the part of each commune beyond every grid, which the study's tiles
    never saw (its counts, hence `targets`, hold none of them): per commune and category
    Poisson(rate x population x share of the commune's area beyond the grids), rate = the category's
    targets per inhabitant over all communes, as if the people there had the average inhabitant's
    places. Ids and names continue those of `targets`."""
    study = targets[targets["category"].isin(STUDY_CATEGORIES)]
    population = communes.set_index("commune_code")["population"]
    per_inhabitant = study.groupby("category").size() / population[population.index.isin(targets["commune_code"])].sum()
    rows: list[tuple[str, str, str]] = []
    for rec in beyond.itertuples(index=False):
        people = float(population.get(rec.commune_code, 0)) * rec.share_beyond
        for cat in STUDY_CATEGORIES:
            rows += [(rec.commune_code, cat, "")] * int(rng.poisson(per_inhabitant.get(cat, 0.0) * people))
    extra = pd.DataFrame(rows, columns=["commune_code", "category", "alternate"])
    start = len(targets)
    extra["id"] = [f"08f{rng.integers(0, 2**60):015x}{start + i:06x}" for i in range(len(extra))]
    extra["confidence"] = np.round(rng.uniform(0.3, 1.0, len(extra)), 6)
    extra["name"] = [f"{c.replace('_', ' ').title()} {start + i}" for i, c in enumerate(extra["category"])]
    return extra


def write_places(out: Path, communes: pd.DataFrame, communes_geojson: Path, shapes: pd.DataFrame,
                 seed: int, tile_weights: pd.DataFrame | None = None) -> Path:
    """`overture/places.parquet`: Overture Places 2023-style points (WKB geometry) written by DuckDB.

    With `tile_weights` (the traffic generator's tile shares, see traffic.write_city_traffic) each
    place lies in a tile of its commune drawn by traffic weight, as real places follow people, so the
    study's tile rule gives the release's counts; besides these, study-category places lie in the
    parts of communes beyond every grid (beyond_grid_targets), which that rule sets aside. The tile
    polygons are read from `out/grid`. Without them (no grid) places spread uniformly over each
    commune polygon.
    """
    targets = poi_targets(communes, shapes, seed)
    path = out / "overture" / "places.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    con = connect(threads=1)
    try:
        con.execute("set preserve_insertion_order = true")
        load_shapes(con, communes_geojson)
        rng = np.random.default_rng(seed + 6)
        if tile_weights is None:
            points = sample_points(con, targets, shapes, rng)
        else:
            cells = load_tiles(con, out / "grid", tile_weights)
            points = sample_points_in_tiles(con, targets, cells, rng)
            beyond = beyond_grid(con)
            extra = beyond_grid_targets(targets, communes, beyond, np.random.default_rng(seed + 7))
            if len(extra):
                points = pd.concat([points, sample_points(con, extra, beyond, np.random.default_rng(seed + 8), "beyond")],
                                   ignore_index=True)
        con.register("points", points.sort_values("id").reset_index(drop=True))
        con.execute(
            f"""
            copy (
                select id,
                       {{'primary': name}} as names,
                       {{'main': category,
                         'alternate': case when alternate = '' then null else string_split(alternate, ',') end}} as categories,
                       confidence,
                       st_aswkb(st_point(x, y))::blob as geometry,
                       {{'minx': x, 'maxx': x, 'miny': y, 'maxy': y}} as bbox
                from points
                order by id
            ) to '{path}' (format parquet, compression zstd)
            """
        )
    finally:
        con.close()
    return path


def load_shapes(con: duckdb.DuckDBPyConnection, communes_geojson: Path) -> None:
    """Load the commune polygons into table `shapes` (commune_code, geom)."""
    cols = {r[0] for r in con.execute("describe select * from st_read(?)", [str(communes_geojson)]).fetchall()}
    code_col = "INSEE_COM" if "INSEE_COM" in cols else "code"
    con.execute(
        f"""create table shapes as select lpad(cast("{code_col}" as varchar), 5, '0') as commune_code, geom
            from st_read(?)""",
        [str(communes_geojson)],
    )


# --------------------------------------------------------------------------- copies

def copy_real(out: Path) -> dict[str, Path]:
    """Real released files copied byte for byte: Google Trends regions and CyberTipline per country."""
    ref = reference_dir()
    pairs = {
        "gtrends_regions": (ref / "study_release" / "intial_anaysis_gtrends.csv", out / "gtrends" / "gtrends_regions.csv"),
        "cybertipline_reports": (ref / "transparency" / "ocse-reports-per-country.csv",
                                 out / "cybertipline" / "ocse-reports-per-country.csv"),
    }
    written = {}
    for name, (src, dst) in pairs.items():
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        written[name] = dst
    return written


# --------------------------------------------------------------------------- entry point

def write_small_inputs(out: Path, communes: pd.DataFrame, communes_geojson: Path, seed: int,
                       tile_weights: pd.DataFrame | None = None) -> dict[str, Path]:
    """Write every small input of the study under `out` (the dbt data_root); returns name -> path.

    tile_weights (city, tile_id, group, weight), from the traffic generator, puts the places where
    the traffic is (see write_places)."""
    out = Path(out)
    communes = communes.sort_values("commune_code").reset_index(drop=True)
    shapes = commune_shapes(Path(communes_geojson))
    written = {"ssmsi_delinquance": write_ssmsi(out, communes, seed)}
    written.update(write_insee_workbooks(out))
    written["insee_indicateurs_communes"] = write_insee_communes(out, communes, shapes, seed)
    written["elections_presidentielle_2017"] = write_elections(out, communes, seed)
    written["overture_places"] = write_places(out, communes, Path(communes_geojson), shapes, seed, tile_weights)
    written.update(copy_real(out))
    return written
