"""SQLite catalog: after a second writer's commit fails ("database is locked"), are its Parquet files left behind?"""
import conc, common
from ops import open_store
d = conc.fresh("lakesq")
conc.scenario("lakesq: second writer starts 3s into a first writer's long INSERT (orphan check)",
              [(0, ("writer_insert_all", "lakesq", d, 0)), (3, ("writer_insert_day", "lakesq", d))])
con, p = open_store("lakesq", d)
print("count:", con.execute("SELECT count(*) FROM lake.landing").fetchone()[0])
print("orphans (ducklake_delete_orphaned_files dry_run, cleanup_all):",
      con.execute("SELECT path FROM ducklake_delete_orphaned_files('lake', dry_run => true, cleanup_all => true)").fetchall())
