"""The scenario comparison as one self-contained HTML page, laid out for print (one page per section).

:func:`comparison_html` builds the page from the wide indicator table of
:func:`alatau_geo.analysis.comparison.compare_indicators`: a summary of the
scenarios compared (and any warning, such as scenarios built from different
reference data), their maps side by side, then one section per indicator
group with its table (every indicator, each scenario's value, the
differences), a chart, and the definitions. Images are inline PNG data
URIs; the page loads nothing. Every text that comes from data (scenario
names, folder names, indicator names, definitions) is escaped with
:func:`html.escape`: names are data, never markup.

Print: ``@page`` is A4 landscape and each section ends with a page break,
so a PDF renderer (WeasyPrint) gives one page per section.
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import pandas as pd

from alatau_geo.analysis.comparison import difference_column
from alatau_geo.analysis.indicator_model import GROUP_TITLES, GROUPS, NOT_COMPUTED
from alatau_geo.core.layers import LayerSet
from alatau_geo.maps.charts import grouped_bars_png
from alatau_geo.maps.static_maps import scenario_maps_png

SECTIONS = ("summary", "maps", *GROUPS)
"""Sections of the report, in order; the PDF has one page per section."""
_CHARTS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "land": (r"^buildable_ha\.", "Buildable area"),
    "residents": (r"^residents\.[^.]+\.{year}$", "Residents {year}"),
    "jobs": (r"^jobs\.[^.]+\.{year}$", "Jobs {year}"),
    "services": (r"^served_pct\.[^.]+\.radius$", "Residents within the service radius"),
    "travel": (r"^travel_min\.[^.]+\.median$", "Median travel times"),
    "infrastructure": (r"^new_length_km\.", "New networks"),
})
ABSENT = "—"
"""What a table shows where a scenario does not have the row (a zone it lacks)."""
_DECIMALS: Mapping[str, int] = MappingProxyType({"ha": 1, "km": 1, "min": 1, "%": 1, "jobs per resident": 3})
_STYLE = """
@page { size: A4 landscape; margin: 11mm 12mm; }
body { font-family: "DejaVu Sans", sans-serif; font-size: 7.5pt; color: #1a1a1a; margin: 0;
       font-variant-ligatures: none; }
section { break-after: page; page-break-after: always; }
section:last-of-type { break-after: auto; page-break-after: auto; }
h1 { font-size: 15pt; margin: 0 0 3mm 0; }
h2 { font-size: 11pt; margin: 0 0 2mm 0; border-bottom: 1px solid #999; }
table { border-collapse: collapse; }
th, td { padding: 0.5mm 1.6mm; border-bottom: 0.3px solid #ccc; text-align: left; vertical-align: top; }
th { background: #eee; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.name { white-space: nowrap; }
.layout { display: table; width: 100%; }
.main, .side { display: table-cell; vertical-align: top; }
.side { width: 36%; padding-left: 4mm; }
.side img { width: 100%; }
.defs { font-size: 6.3pt; color: #333; }
.defs p { margin: 0 0 1.2mm 0; }
.warning { border: 1px solid #b30000; background: #fde0dd; padding: 2mm; margin: 2mm 0; }
.up { color: #1a6e1a; } .down { color: #a50f15; }
img.maps { width: 100%; max-height: 160mm; object-fit: contain; }
"""


@dataclass(frozen=True)
class ScenarioSummary:
    """What the summary says about one scenario.

    Attributes
    ----------
    label : str
        Column name in the tables.
    folder : str
        The workspace folder (or "the default scenario").
    plan : str
        The plan file that built its layers.
    plan_sha256, terrain_sha256 : str
        The manifest's hashes of the plan and of the reference data settings.
    """

    label: str
    folder: str
    plan: str
    plan_sha256: str
    terrain_sha256: str


def format_value(value: float, unit: str, *, signed: bool = False, missing: str = ABSENT) -> str:
    """A value as the report prints it: grouped thousands, decimals by unit, words for NaN and inf.

    Examples
    --------
    >>> format_value(1234567.0, "residents"), format_value(12.345, "min"), format_value(-2.5, "ha", signed=True)
    ('1,234,567', '12.3', '-2.5')
    >>> format_value(float("nan"), "count", missing="not computed"), format_value(float("inf"), "min")
    ('not computed', 'not reached')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    if math.isinf(value):
        return "not reached" if value > 0 else "-not reached"
    decimals = _DECIMALS.get(unit, 0)
    if signed and round(value, decimals) == 0:
        return "0"
    return f"{value:{'+' if signed else ''},.{decimals}f}"


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _table(rows: pd.DataFrame, labels: Sequence[str], *, not_computed: set[str]) -> str:
    first = labels[0]
    differences = [difference_column(label, first) for label in labels[1:]]
    head = ["indicator", "unit", "basis", *labels, *(f"{label} − {first}" for label in labels[1:])]
    cells = ["<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"]
    for row in rows.to_dict("records"):
        missing = NOT_COMPUTED if row["id"].split(".", 1)[0] in not_computed else ABSENT
        values = [f'<td class="num">{html.escape(format_value(row[label], row["unit"], missing=missing))}</td>'
                  for label in labels]
        changes = []
        for column in differences:
            change = row[column]
            tone = "" if not change or math.isnan(change) else (' up' if change > 0 else ' down')
            text = format_value(change, row["unit"], signed=True, missing=missing)
            changes.append(f'<td class="num{tone}">{html.escape(text)}</td>')
        cells.append(f'<tr><td class="name">{html.escape(str(row["name"]))}</td><td>{html.escape(str(row["unit"]))}'
                     f'</td><td>{html.escape(str(row["basis"]))}</td>{"".join(values)}{"".join(changes)}</tr>')
    return "<table>" + "".join(cells) + "</table>"


def _chart(group: str, rows: pd.DataFrame, labels: Sequence[str]) -> str:
    pattern, title = _CHARTS[group]
    years = rows["id"].str.extract(r"\.(\d{4})$")[0].dropna().astype(int)
    year = int(years.max()) if not years.empty else 0
    chosen = rows[rows["id"].str.match(pattern.format(year=year))]
    if chosen.empty:
        return ""
    unit = str(chosen["unit"].iloc[0])
    chart = chosen.assign(category=chosen["name"].str.split(": ", n=1).str[-1])
    png = grouped_bars_png(chart, labels=labels, category="category", title=title.format(year=year), unit=unit)
    return f'<img src="{_data_uri(png)}" alt="{html.escape(title.format(year=year))}">'


def _definitions(definitions: pd.DataFrame, group: str) -> str:
    own = definitions[definitions["group"] == group]
    items = [f"<p><b>{html.escape(str(r.family))}</b> ({html.escape(str(r.unit))}, {html.escape(str(r.basis))}): "
             f"{html.escape(str(r.definition))}</p>" for r in own.itertuples(index=False)]
    return '<div class="defs">' + "".join(items) + "</div>"


def _group_section(group: str, wide: pd.DataFrame, definitions: pd.DataFrame, labels: Sequence[str]) -> str:
    rows = wide[wide["group"] == group]
    not_computed = set(definitions.loc[definitions["definition"].str.startswith(NOT_COMPUTED), "family"])
    return (f'<section id="{group}"><h2>{html.escape(GROUP_TITLES[group])}</h2><div class="layout">'
            f'<div class="main">{_table(rows, labels, not_computed=not_computed)}</div>'
            f'<div class="side">{_chart(group, rows, labels)}{_definitions(definitions, group)}</div></div></section>')


def _summary_section(title: str, scenarios: Sequence[ScenarioSummary], notes: Sequence[str], count: int) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("scenario", "workspace", "plan", "plan sha256", "reference data sha256"))
    rows = "".join(
        f"<tr><td>{html.escape(s.label)}</td><td>{html.escape(s.folder)}</td><td>{html.escape(s.plan)}</td>"
        f"<td>{html.escape(s.plan_sha256[:12])}</td><td>{html.escape(s.terrain_sha256[:12])}</td></tr>"
        for s in scenarios)
    warnings = "".join(f'<div class="warning">{html.escape(note)}</div>' for note in notes)
    first = html.escape(scenarios[0].label)
    return (
        f'<section id="summary"><h1>{html.escape(title)}</h1>{warnings}<table><tr>{head}</tr>{rows}</table>'
        f"<p>{count} indicators per scenario, in {len(GROUPS)} groups, one page each. Differences are each "
        f"scenario's value less that of the first ({first}); green is higher, red lower (higher is not always "
        "better). Basis: <b>published</b> a figure from a named source; <b>target</b> a plan target; "
        "<b>derived</b> computed from the plan and the data (the assumptions it rests on are named in its "
        "definition); <b>assumed</b> a planning assumption. 'not computed' marks an indicator this version "
        f"cannot compute yet; 'not reached' a travel time that never comes; '{ABSENT}' a row the scenario does not "
        "have (a zone it lacks).</p>"
        "<p>Positions of most villages, corridor waypoints, objects and projects are approximate (see each "
        "workspace's tables); alatau-geo uncertainty shows how far each indicator moves with them.</p></section>"
    )


def comparison_html(wide: pd.DataFrame, definitions: pd.DataFrame, *, scenarios: Sequence[ScenarioSummary],
                    layer_sets: Mapping[str, LayerSet], notes: Sequence[str] = (),
                    title: str = "Alatau scenarios compared") -> str:
    """The comparison report: one self-contained HTML page, one printed page per section (:data:`SECTIONS`).

    Parameters
    ----------
    wide : DataFrame
        From :func:`~alatau_geo.analysis.comparison.compare_indicators`.
    definitions : DataFrame
        From :func:`~alatau_geo.analysis.comparison.definitions`.
    scenarios : sequence of ScenarioSummary
        In the order of the value columns of `wide`.
    layer_sets : mapping of label to LayerSet
        Each scenario's layers, for the maps.
    notes : sequence of str
        Warnings shown at the top (e.g. different reference data).
    title : str

    Returns
    -------
    str
        The HTML page.
    """
    labels = [s.label for s in scenarios]
    maps = (f'<section id="maps"><h2>Maps</h2><img class="maps" src="{_data_uri(scenario_maps_png(layer_sets))}" '
            'alt="maps of the scenarios"><p>Districts, city boundary (dashed), special economic zones, '
            "corridors, infrastructure (squares) and projects (dots), on a common extent.</p></section>")
    body = [_summary_section(title, scenarios, notes, int(wide["id"].nunique())), maps]
    body += [_group_section(group, wide, definitions, labels) for group in GROUPS]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
            + "".join(body) + "</body></html>\n")


def section_ids(page: str) -> list[str]:
    """The ids of the sections of a report page, in order (for checks)."""
    return re.findall(r'<section id="([a-z_]+)"', page)
