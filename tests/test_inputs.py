"""Each input's layout has one home, its source's YAML; the models and doctor read the same one."""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

from netmob_tor.doctor import doctor, parse_days
from netmob_tor.inputs import find_input, layout, layouts
from netmob_tor.paths import project_root

FIXTURE = Path(__file__).parent / "fixtures" / "real"


def test_every_model_reads_its_file_through_a_source_layout() -> None:
    """No model or macro spells an input path: each source_path/source_globs call names a source
    table whose YAML holds meta.paths, and no SQL holds a path under data_root of its own."""
    called = set()
    for path in [*(project_root() / "models").rglob("*.sql"), *(project_root() / "macros").rglob("*.sql")]:
        text = path.read_text()
        called |= {f"{a}.{b}" for a, b in re.findall(r"source_(?:path|globs)\('(\w+)', '(\w+)'", text)}
        assert not re.search(r"var\('data_root'\)\s*~\s*['\"]/\w", text), f"{path} builds an input path itself"
    assert called and called <= set(layouts()), sorted(called - set(layouts()))
    assert layout("ign.municipal_districts").paths  # the districts source is used (stg_ign__communes)


def test_a_path_var_overrides_the_layout(tmp_path: Path) -> None:
    (tmp_path / "elsewhere.csv").write_text("x\n")
    assert find_input(tmp_path, "ssmsi.delinquance_communes", {"ssmsi_path": "elsewhere.csv"}) == tmp_path / "elsewhere.csv"
    assert find_input(tmp_path, "ssmsi.delinquance_communes") is None


def test_doctor_accepts_what_the_build_accepts_a_gzipped_ssmsi_file(tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("*.py"))
    plain = next((root / "ssmsi").glob("*.csv"))
    with plain.open("rb") as src, gzip.open(plain.with_name(plain.name + ".gz"), "wb") as dst:
        shutil.copyfileobj(src, dst)
    plain.unlink()
    finding = next(f for f in doctor(root, parse_days("2019-04-01:2019-04-02")) if f.input == "ssmsi crime")
    assert finding.status == "ok" and finding.message.endswith(".csv.gz")
