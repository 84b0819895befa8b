"""The study report: a static HTML page with its figures, built from the warehouse.

Communes only, never tiles or coordinates; every page carries `netmob_tor.CAUTION`.
"""

from netmob_tor.report.build import OPTIONAL_TABLES, REQUIRED_TABLES, build_report

__all__ = ["REQUIRED_TABLES", "OPTIONAL_TABLES", "build_report"]
