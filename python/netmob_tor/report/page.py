"""Page furniture: the stylesheet and the assumptions-and-parameters section."""

from __future__ import annotations

import html
from dataclasses import dataclass

from netmob_tor.params import STUDY_PARAMETERS_TABLE, StudyParameters
from netmob_tor.report.numbers import fmt
from netmob_tor.report.tables import html_table

PAGE_CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0 auto; max-width: 1180px; \
padding: 0 1.2em 3em; color: #222; line-height: 1.45; }
header { border-bottom: 2px solid #444; margin-bottom: 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.25em; border-bottom: 1px solid #bbb; margin-top: 2em; } h3 { font-size: 1.05em; }
h2 a.up { font-size: 0.65em; font-weight: normal; margin-left: 0.6em; color: #777; text-decoration: none; }
.meta { color: #444; font-size: 0.92em; }
nav#contents { font-size: 0.9em; margin: 0.6em 0 1em; }
nav#contents ol { columns: 13em; column-gap: 2em; margin: 0.4em 0 0; padding-left: 1.6em; }
#number-format { font-size: 0.9em; color: #333; }
.intervals { font-size: 0.92em; }
.caution { background: #fff4e5; border-left: 4px solid #e67e22; padding: 0.6em 0.9em; }
.missing { color: #8a4b00; font-style: italic; }
table { border-collapse: collapse; margin: 0.8em 0 1.4em; font-size: 0.86em; max-width: 100%; }
caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: 0.3em; }
th, td { padding: 0.25em 0.7em; text-align: right; border-bottom: 1px solid #ddd; }
td.num { white-space: nowrap; }
th { border-bottom: 2px solid #555; } td:first-child, th:first-child { text-align: left; }
figure { margin: 0.8em 0 1.4em; } figure img { max-width: 100%; height: auto; }
figcaption { font-size: 0.85em; color: #555; }
.maps { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 0.6em; }
.maps figure { margin: 0; } .maps figure img { width: 100%; }
footer { margin-top: 3em; font-size: 0.9em; }
code { font-size: 0.92em; }
table.text td { text-align: left; }
@media (max-width: 1000px) { table { font-size: 0.78em; } th, td { padding: 0.2em 0.4em; } }
"""

# What each study parameter means and where its value comes from.
PARAMETER_SOURCES = {
    "s_onion": ("Share of Tor traffic to onion services, study period (Tor Metrics); "
                "the study's code notes 0.034 and 0.078 as middle and upper alternatives."),
    "s_csam_sites": "Pornographic onion sites that are CSAM, numerator (DUTA dataset: 105).",
    "s_porn_onion_sites": "Pornographic onion sites, denominator (DUTA dataset: 253).",
    "c_floor": "Value of c where ρ < 0 (Koebe et al. 2024, published version).",
    "log_floor": "Zeros replaced by this value before the log (Koebe et al. 2024).",
    "tor_lag_hours": "Lag of Tor behind Web_Adult in the lagged variant (Koebe et al. 2024).",
    "study_start": "First day of the NetMob 2023 period.",
    "study_end": "Last day of the NetMob 2023 period.",
    "timezone": "Local time of the traffic files.",
    "sexual_violence_indicator": "SSMSI indicator used as ground truth.",
    "sv_first_year": "First year of the mean sexual-violence rate (commune values only).",
    "sv_last_year": "Last year of the mean sexual-violence rate.",
    "drug_use_indicator": "SSMSI indicator of the robustness model.",
    "drug_use_year": "Year of the drug-use rate.",
    "poi_categories": "Overture Places categories counted per 1000 inhabitants (Table 3 controls).",
    "small_population_threshold": "Communes below this population are flagged as fragile (this project's choice).",
    "top_tile_share": "Share of (tile, service) pairs kept as top tiles for Table 4 (study: 0.1 %).",
    "poi_min_per_category": "Minimum places of a category in the top tiles for Table 4 (study: 3).",
}
ASSUMPTIONS = [
    ("A tile belongs to the commune whose polygon contains its centroid, among the study's communes of its urban area "
     "(var commune_scope); tiles outside them are kept and counted per city (Data quality), never attributed."),
    ("Anomaly days, the spring-forward day and the population follow the processing profile named in the header "
     "(docs/profiles.md): the study's profile keeps every day and removes, on the zero-Web_Adult days, the commune "
     "quarter-hours whose Web_Adult download is 0; the corrected profile drops the anomaly days of the seed anomaly_days."),
    "ρ_j is the Pearson correlation over local hours of ln Web_Adult and ln Tor download; c_j = s_onion × s_csam × ρ'_j with ρ' floored where ρ < 0.",
    "cpc_j = c_j × Tor_j and cpc per 1000 = cpc_j / population × 1000: a traffic-volume quantity, not a count of people.",
    "Sexual violence is the SSMSI rate per 1000 inhabitants, mean of the years above, commune values only (no department fallback).",
    ("Table 4: top tiles are the n = floor(top_tile_share × all (tile, service) pairs) largest mean daily download × c per service; "
     "a place on a tile border belongs to the tile with the smallest id; duplicate place ids count once; "
     "only category counts and averages are reported."),
    ("National context: NCMEC CyberTipline reports (Diaphanous, CC BY 4.0) per 1000 inhabitants with the Diaphanous population; "
     "reports are not comparable in kind with traffic estimates."),
]


def _parameter(value: object) -> str:
    """A parameter's value as it was set: numbers in the report's format, never rounded (0.011, 1e-05, 1 000)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return fmt(value, exact=True)
    return str(value)


@dataclass(frozen=True)
class Parameters:
    """The parameters section and the small-population threshold it states."""

    html: str
    threshold: int


def parameters_table(params: StudyParameters, implied_scaling: float | None) -> Parameters:
    """Study parameters as the build recorded them (else as dbt_project.yml sets them), with their sources."""
    rows = []
    for name, meaning in PARAMETER_SOURCES.items():
        if name in params.values:
            value = params[name]
            shown = ", ".join(_parameter(v) for v in value) if isinstance(value, list) else _parameter(value)
            rows.append([name, shown, meaning])
    caption = ("Study parameters (the dbt vars this build recorded, table study_parameters)" if params.source == STUDY_PARAMETERS_TABLE
               else "Study parameters (dbt vars in dbt_project.yml; a build with --vars overrides them)")
    parts = [html_table(["Parameter", "Value", "Meaning and source"], rows, caption, css="text")]
    if implied_scaling is not None:
        parts.append(f"<p>Check on the warehouse: the median of c / ρ' over communes is {fmt(implied_scaling)} "
                     "(s_onion × s_csam as the build applied it).</p>")
    parts.append("<ul>" + "".join(f"<li>{html.escape(a)}</li>" for a in ASSUMPTIONS) + "</ul>")
    return Parameters(html="".join(parts), threshold=params.small_population_threshold)
