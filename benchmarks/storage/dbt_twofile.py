"""Design B with dbt-duckdb 1.11.1: landing.duckdb attached (alias lake) and written in place under an
exclusive build lock; marts.duckdb built as a copy and os.replace'd in. A reader holds marts.duckdb open
read-only (in another process) during the builds."""
import fcntl, os, shutil, subprocess, sys, time
from pathlib import Path

ROOT = Path("/work/ducklake_eval")
W = ROOT / "work" / "dbt2"
DBT = str(ROOT / ".venv" / "bin" / "dbt")
PY = str(ROOT / ".venv" / "bin" / "python")
shutil.rmtree(W, ignore_errors=True); W.mkdir(parents=True)
marts = W / "marts.duckdb"


def build(vars_):
    with open(W / "build.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("   another build holds the lock: refused"); return 3
        staging = W / f"marts.duckdb.building-{os.getpid()}"
        t0 = time.perf_counter()
        if marts.exists():
            shutil.copyfile(marts, staging)
        t_copy = time.perf_counter() - t0
        env = {**os.environ, "EVAL_MARTS": str(staging), "DBT_PROFILES_DIR": str(ROOT / "dbt_lake")}
        p = subprocess.run([DBT, "run", "--target", "twofile", "--vars", vars_], cwd=ROOT / "dbt_lake", env=env,
                           capture_output=True, text=True)
        for line in p.stdout.splitlines():
            if " OK " in line or "ERROR" in line or "Error" in line:
                print("   ", line.split("  ", 1)[-1].strip())
        if p.returncode == 0:
            os.replace(staging, marts)
        else:
            staging.unlink(missing_ok=True)
        print(f"   dbt exit {p.returncode}; marts copy {t_copy:.3f}s ({marts.stat().st_size:,} bytes); "
              f"landing.duckdb {(W / 'landing.duckdb').stat().st_size:,} bytes, not copied; total {time.perf_counter() - t0:.1f}s")
        return p.returncode


def show():
    q = ("import duckdb; c = duckdb.connect('%s', read_only=True); c.execute(\"ATTACH '%s' AS l (READ_ONLY)\");"
         "print('   marts.commune_day rows', c.execute('select count(*) from commune_day').fetchone(),"
         "'landing rows/files', c.execute('select count(*), count(distinct source_file) from l.landing').fetchone())"
         % (marts, W / "landing.duckdb"))
    print(subprocess.run([PY, "-c", q], capture_output=True, text=True).stdout.strip())


print("== build 1: days 0316, 0317"); build('{days: ["20190316", "20190317"]}'); show()
reader = subprocess.Popen([PY, "-c", "import duckdb, time; c = duckdb.connect('%s', read_only=True)\n"
                           "for i in range(40):\n"
                           "    print('   [reader of marts] commune_day rows', c.execute('select count(*) from commune_day').fetchone()[0], flush=True); time.sleep(0.5)" % marts])
time.sleep(1)
print("== build 2 (delete+insert: 0317 again, 0318 new) while a reader holds marts.duckdb open")
build('{days: ["20190317", "20190318"]}')
show()
print("== build 3 (a second build started while build 3b holds the lock)")
with open(W / "build.lock", "w") as held:
    fcntl.flock(held, fcntl.LOCK_EX)
    build('{days: ["20190319"]}')
reader.wait()
