#!/usr/bin/env bash
# A7: dbt-duckdb 1.11.1 building an incremental model into a DuckLake (DuckDB-file catalog).
set -u
cd /work/ducklake_eval/dbt_lake
export DBT_PROFILES_DIR=$PWD
DBT=/work/ducklake_eval/.venv/bin/dbt
PY=/work/ducklake_eval/.venv/bin/python
rm -rf /work/ducklake_eval/work/dbt target logs; mkdir -p /work/ducklake_eval/work/dbt
check() {
  $PY - <<'PYEOF'
import sys; sys.path.insert(0, '/work/ducklake_eval/scripts'); import common
c = common.connect()
c.execute("ATTACH 'ducklake:/work/ducklake_eval/work/dbt/lake.ducklake' AS lake (READ_ONLY)")
c.execute("ATTACH '/work/ducklake_eval/work/dbt/marts.duckdb' AS marts (READ_ONLY)")
print("   lake.landing: rows, files, rows per (file, invocation):",
      c.sql("select count(*), count(distinct source_file) from lake.landing").fetchone(),
      c.sql("select regexp_extract(source_file, '_(\\d{8})_DL', 1) d, loaded_by, count(*) from lake.landing group by all order by 1, 2").fetchall())
print("   lake tables:", c.sql("select table_name from duckdb_tables() where database_name='lake'").fetchall(),
      "snapshots:", c.sql("select count(*) from lake.snapshots()").fetchone()[0])
print("   marts.commune_day rows:", c.sql("select count(*) from marts.commune_day").fetchone())
PYEOF
}
echo "== run 1: days 0316, 0317 (first run: creates lake.main.landing)"
$DBT run --vars '{days: ["20190316", "20190317"]}' 2>&1 | grep -E "OK|ERROR|Error|error|Completed|Done" ; check
echo "== run 2: delete+insert, days 0317 (again: a changed file), 0318 (new)"
$DBT run --vars '{days: ["20190317", "20190318"]}' 2>&1 | grep -E "OK|ERROR|Error|error|Completed|Done|rror" ; check
echo "== run 3: merge strategy (unique_key [source_file, tile_id]), days 0318 (again), 0319 (new)"
$DBT run --vars '{days: ["20190318", "20190319"], strategy: merge, unique_key: [source_file, tile_id]}' 2>&1 | grep -E "OK|ERROR|Error|error|Completed|Done|rror" ; check
echo "== run 4: append strategy, day 0320"
$DBT run --vars '{days: ["20190320"], strategy: append}' 2>&1 | grep -E "OK|ERROR|Error|error|Completed|Done|rror" ; check
echo "== run 5: --full-refresh, days 0316"
$DBT run --full-refresh --vars '{days: ["20190316"]}' 2>&1 | grep -E "OK|ERROR|Error|error|Completed|Done|rror" ; check
echo "== run 6: dbt while another process holds the DuckLake catalog open read-only"
$PY -c "
import sys, time; sys.path.insert(0, '/work/ducklake_eval/scripts'); import common
c = common.connect(); c.execute(\"ATTACH 'ducklake:/work/ducklake_eval/work/dbt/lake.ducklake' AS lake (READ_ONLY)\"); time.sleep(25)" &
HOLDER=$!
sleep 3
$DBT run --vars '{days: ["20190321"]}' 2>&1 | grep -E "OK|ERROR|Error|error|Completed|Done|rror|lock" | head -8
kill $HOLDER; wait $HOLDER 2>/dev/null
