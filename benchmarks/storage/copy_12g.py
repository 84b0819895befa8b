"""B4 at study scale: shutil.copyfile of a 12 GiB file (the size the landing would have), 3 times.
The content is random bytes (a DuckDB file's content does not matter to copyfile)."""
import os, shutil, statistics, time
import common

src = common.WORK / "big12g.bin"
if not src.exists() or src.stat().st_size != 12 * 2**30:
    t0 = time.perf_counter()
    with open(src, "wb") as f:
        for _ in range(12 * 16):  # 64 MiB chunks
            f.write(os.urandom(64 * 2**20))
    print(f"wrote {src} in {time.perf_counter() - t0:.1f}s")
runs = []
for i in range(3):
    dst = src.with_name(f"big12g.bin.building-{os.getpid()}")
    t0 = time.perf_counter()
    shutil.copyfile(src, dst)
    runs.append(time.perf_counter() - t0)
    dst.unlink()
    print(f"copy {i + 1}: {runs[-1]:.1f}s, loadavg {open('/proc/loadavg').read().split()[0]}", flush=True)
common.record("B4_copy_12GiB", runs=runs, median_secs=statistics.median(runs), min_secs=min(runs), max_secs=max(runs),
              bytes=src.stat().st_size)
src.unlink()
