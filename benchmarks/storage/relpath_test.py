"""Is a relative DATA_PATH stored relative (to the cwd? the catalog?) so that a moved lake still works?"""
import os, shutil, sys
import common
base = common.WORK / "reltest"
shutil.rmtree(base, ignore_errors=True)
(base / "one").mkdir(parents=True)
os.chdir(base / "one")
con = common.connect()
con.execute("ATTACH 'ducklake:lake.ducklake' AS l (DATA_PATH 'lake_data/')")
con.execute("CREATE TABLE l.t AS SELECT range AS i FROM range(100000)")
print("stored data_path:", con.sql("select value from __ducklake_metadata_l.ducklake_metadata where key='data_path'").fetchall())
print("files:", con.sql("select data_file from ducklake_list_files('l','t')").fetchall())
con.close()
shutil.move(str(base / "one"), str(base / "two"))
os.chdir(base / "two")
con = common.connect()
con.execute("ATTACH 'ducklake:lake.ducklake' AS l")
try:
    print("moved, attached from its new folder:", con.sql("select count(*) from l.t").fetchall(),
          con.sql("select data_file from ducklake_list_files('l','t')").fetchall())
except Exception as e:
    print("moved ->", e)
con.close()
os.chdir(base)
con = common.connect()
con.execute(f"ATTACH 'ducklake:{base}/two/lake.ducklake' AS l")
try:
    print("moved, attached by absolute path from another cwd:", con.sql("select count(*) from l.t").fetchall(), con.sql("select data_file from ducklake_list_files('l','t')").fetchall())
except Exception as e:
    print("moved, attached by absolute path from another cwd ->", type(e).__name__, str(e)[:300])
shutil.rmtree(base)
