"""Does a copied/renamed DuckLake (catalog + data folder) still work, and which data does it read and write?"""
import shutil, os
import common

W = common.WORK
orig, c1, c2 = W / "base_A", W / "copytest_1", W / "copytest_2"   # base_A's catalog stores data_path .../work/A/
for d in (c1, c2):
    shutil.rmtree(d, ignore_errors=True)
shutil.copytree(orig, c1)
con = common.connect()
def q(sql):
    return con.sql(sql).fetchall()
con.execute(f"ATTACH 'ducklake:{c1}/lake.ducklake' AS x")
print("1. copy attached without DATA_PATH; stored data_path:", q("select value from __ducklake_metadata_x.ducklake_metadata where key='data_path'"))
print("   files it reads:", q("select data_file from ducklake_list_files('x', 'landing')"))
con.execute("DETACH x")
try:
    con.execute(f"ATTACH 'ducklake:{c1}/lake.ducklake' AS x (DATA_PATH '{c1}/lake_data/')")
except Exception as e:
    print("2. copy attached with its own DATA_PATH ->", type(e).__name__, ":", e)
con.execute(f"ATTACH 'ducklake:{c1}/lake.ducklake' AS x (DATA_PATH '{c1}/lake_data/', OVERRIDE_DATA_PATH true)")
print("3. with OVERRIDE_DATA_PATH true: files", q("select data_file from ducklake_list_files('x', 'landing')"), "count", q("select count(*) from x.landing"))
con.execute("DETACH x")
con.execute(f"ATTACH 'ducklake:{c1}/lake.ducklake' AS x")
print("4. re-attached without DATA_PATH after the override: stored data_path",
      q("select value from __ducklake_metadata_x.ducklake_metadata where key='data_path'"),
      "files", q("select data_file from ducklake_list_files('x', 'landing')"))
con.execute("DETACH x")
# 5. a writer on a plain copy (no override) writes where?
shutil.copytree(c1, c2)
con.execute(f"ATTACH 'ducklake:{c2}/lake.ducklake' AS y")
con.execute("INSERT INTO y.landing SELECT * FROM y.landing LIMIT 1000")
print("5. insert into copy_2 (no override): new data files at", q("select data_file from ducklake_list_files('y', 'landing')"))
con.execute("DETACH y")
print("   files under copy_1 folder now:", sorted(str(p.relative_to(c1)) for p in c1.rglob('*.parquet')))
# 6. original folder gone: plain copy without override
shutil.rmtree(c1 / "lake_data")
con.execute(f"ATTACH 'ducklake:{c2}/lake.ducklake' AS z")
try:
    print("6.", q("select count(*) from z.landing"))
except Exception as e:
    print("6. copy_2, copy_1's data folder deleted ->", type(e).__name__, ":", str(e)[:300])
for d in (c1, c2):
    shutil.rmtree(d, ignore_errors=True)
