"""A8: is DuckLake's data plain Parquet, readable by pyarrow and Spark; what does a plain reader miss after a delete?"""
import glob, shutil, subprocess, sys, time
from pathlib import Path

import pyarrow.parquet as pq

import common
from conc import fresh
from ops import open_store

PY = str(common.ROOT / ".venv" / "bin" / "python")
OPS = str(Path(__file__).with_name("ops.py"))

d = fresh("lake")  # work/A = base_A (full landing)
for op in ("changed", "newday"):  # the A2 steps: re-land 20190405 (delete + insert) and append 20190601
    subprocess.run([PY, OPS, op, "lake", str(d)], check=True, capture_output=True)
con, p = open_store("lake", d)
truth = con.execute("SELECT count(*), sum(daily_dl) FROM lake.landing").fetchone()
files = con.execute("SELECT data_file, delete_file FROM ducklake_list_files('lake', 'landing')").fetchall()
con.close()
print("DuckLake (truth): count, sum(daily_dl) =", truth)
print("ducklake_list_files (current data file -> its delete file):")
for f, dl in files:
    print("   ", Path(f).name, "->", Path(dl).name if dl else None)
ondisk = sorted(glob.glob(f"{d}/lake_data/main/landing/*.parquet"))
print(f"parquet files on disk in lake_data/main/landing: {len(ondisk)}")
for f in ondisk:
    md = pq.read_metadata(f)
    print(f"    {Path(f).name}: {md.num_rows} rows, columns {md.schema.names[:3]}...{md.schema.names[-2:]}, created_by {md.created_by}")
data_files = [f for f in ondisk if not any(f == dl for _, dl in files)]
naive = sum(pq.read_metadata(f).num_rows for f in data_files)
print("pyarrow, every data file in the folder (plain directory scan):", naive, "rows")
cur = [f for f, _ in files]
listed = pq.ParquetDataset(cur).read(columns=["daily_dl"])
import pyarrow.compute as pc
print("pyarrow, only the current data files (ignoring delete files):", listed.num_rows, "rows, sum(daily_dl) =",
      pc.sum(listed.column("daily_dl")).as_py())
for _, dl in files:
    if dl:
        t = pq.read_table(dl)
        print("delete file schema:", t.schema.to_string().replace("\n", "; "), "rows:", t.num_rows,
              "first:", t.slice(0, 1).to_pylist())

# Spark
t0 = time.time()
from pyspark.sql import SparkSession, functions as F
spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
         .config("spark.sql.shuffle.partitions", "4").config("spark.driver.memory", "2g").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
print(f"Spark {spark.version} started in {time.time() - t0:.1f}s")
df_all = spark.read.parquet(f"{d}/lake_data/main/landing/")
try:
    print("Spark, read the folder:", df_all.count(), "rows")
except Exception as e:
    print("Spark, read the folder -> error:", str(e).splitlines()[0][:300])
data_only = spark.read.parquet(*[f"file://{f}" for f in data_files])
print("Spark, every data file in the folder (no delete files):", data_only.count(), "rows")
cur_df = spark.read.parquet(*[f"file://{f}" for f in cur]).select("*", F.col("_metadata.file_path").alias("fp"),
                                                                  F.col("_metadata.row_index").alias("pos"))
print("Spark, current data files only:", cur_df.count(), "rows")
dels = [dl for _, dl in files if dl]
if dels:
    print("Spark _metadata.file_path looks like:", cur_df.select("fp").first()[0])
    # normalise both sides to the bare absolute path
    cur_df = cur_df.withColumn("fp", F.regexp_replace("fp", "^file:/*", "/"))
    dd = spark.read.parquet(*[f"file://{x}" for x in dels]).select(F.col("file_path").alias("fp"), F.col("pos"))
    fixed = cur_df.join(dd, ["fp", "pos"], "left_anti")
    r = fixed.agg(F.count("*"), F.sum("daily_dl")).collect()[0]
    print("Spark, current data files minus the delete files (anti-join on _metadata.file_path, _metadata.row_index):",
          (r[0], r[1]), "== truth" if (r[0], r[1]) == truth else "!= truth")
    print("Spark schema:", cur_df.schema.simpleString()[:200])
spark.stop()
