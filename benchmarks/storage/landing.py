"""The landing table: DDL and the SELECT that parses raw traffic text files (plain DuckDB SQL)."""
import glob, os
from common import DATA, ROOT

QH_DATES = ("20190331", "20190512")  # files whose quarter_hours list is kept
CHANGED_DAY = "20190405"              # A2/B2: the "changed file" day (its 3 files re-landed)
NEW_DAY_DIR = ROOT / "data" / "extra" / "Nancy"  # A2/B2: 20190601 = a copy of 20190405 under a new date

HOURS = [f"h{h:02d}" for h in range(24)]

DDL = ("source_file VARCHAR, tile_id BIGINT, "
       + ", ".join(f"{h} INTEGER" for h in HOURS)
       + ", daily_dl INTEGER, quarter_hours INTEGER[], quarantine_reason VARCHAR")
LEDGER_DDL = "source_file VARCHAR, size BIGINT, mtime DOUBLE"


def all_files():
    return sorted(glob.glob(str(DATA / "*" / "*" / "*_DL.txt")))


def day_files(day, root=DATA):
    return sorted(glob.glob(str(root / "*" / day / f"*_{day}_DL.txt")))


def select_sql(files):
    flist = "[" + ", ".join(f"'{f}'" for f in files) + "]"
    cols = "{'tile_id': 'BIGINT', " + ", ".join(f"'v{i:02d}': 'BIGINT'" for i in range(1, 98)) + "}"
    hours = ",\n    ".join(
        "(" + " + ".join(f"v{4*h+q:02d}" for q in range(1, 5)) + f")::INTEGER AS h{h:02d}" for h in range(24))
    daily = " + ".join(HOURS)
    qlist = "list_value(" + ", ".join(f"v{i:02d}" for i in range(1, 97)) + ")::INTEGER[]"
    qdates = ", ".join(f"'{d}'" for d in QH_DATES)
    return f"""
WITH raw AS (
  SELECT * FROM read_csv({flist}, delim=' ', header=false, auto_detect=false, null_padding=true,
                         filename=true, columns={cols})
), hours AS (
  SELECT filename AS source_file, tile_id,
    {hours},
    CASE WHEN regexp_extract(filename, '_(\\d{{8}})_DL\\.txt$', 1) IN ({qdates}) THEN {qlist} END AS quarter_hours
  FROM raw
)
SELECT source_file, tile_id, {", ".join(HOURS)}, ({daily})::INTEGER AS daily_dl, quarter_hours,
       NULL::VARCHAR AS quarantine_reason
FROM hours
"""


def ledger_rows(files):
    return [(f, os.path.getsize(f), os.path.getmtime(f)) for f in files]


AGG_SQL = ("SELECT regexp_extract(source_file, '_(\\d{8})_DL\\.txt$', 1) AS day, tile_id % 100 AS commune, "
           + ", ".join(f"sum({h}) AS {h}" for h in HOURS)
           + " FROM {tbl} GROUP BY ALL")
