"""Infrastructure indicators: new networks, facilities planned and needed, investment projects.

Lengths are measured in the working CRS (UTM 43N). The facilities needed come
from the siting analysis: the target-year residents and jobs of the whole city
times the demand rates (:mod:`~alatau_geo.analysis.demand`), divided by the
firm capacity of one facility and rounded up (:mod:`~alatau_geo.analysis.sizing`),
with their default parameters until the plan has a ``[siting]`` section.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import pandas as pd
import shapely

from alatau_geo.analysis import demand, sizing
from alatau_geo.analysis.indicator_model import indicator_row
from alatau_geo.analysis.indicators_people import PeopleGrid
from alatau_geo.core.layers import LayerSet

NETWORK_KINDS: Mapping[str, str] = MappingProxyType({"gas_pipeline": "gas pipelines", "road": "roads"})
"""Line kinds of the ``infrastructure_lines`` layer whose new length is counted, with a label."""
FACILITY_KINDS: Mapping[str, str] = MappingProxyType({
    "substation": "substations", "water_intake": "water intake nodes", "wastewater_plant": "wastewater plants",
})
"""Point kinds of the ``infrastructure`` catalogue counted as facilities, with a label."""
OTHER_KINDS: Mapping[str, str] = MappingProxyType({
    "gas_distribution_station": "gas distribution stations", "school": "schools", "kindergarten": "kindergartens",
    "clinic": "outpatient clinics",
})
"""Kinds the sizing counts that the infrastructure catalogue does not hold (needed only), with a label."""

_LENGTH = ("Length of the new (works = new) lines of this kind in the infrastructure catalogue, km, along their "
           "schematic routes through the catalogue's via stops (routes are planning assumptions).")
_PLANNED = "Facilities of this kind in the infrastructure catalogue (new and reconstructed), count."
_NEEDED = ("Facilities of this kind the whole city needs in the target year: its residents and jobs times the "
           "demand rates of the siting analysis (norms and assumptions, analysis/demand.py), divided by the firm "
           "capacity of one facility (assumed sizes, analysis/sizing.py), rounded up; count.")
_SHORT = "Facilities needed less those in the catalogue (0 when the catalogue holds enough); count."
_PROJECTS = "Investment projects in the projects catalogue, count."
_PROJECTS_OUTSIDE = "Investment projects whose placed position lies outside the city boundary, count."


def infrastructure_rows(layers: LayerSet, *, people: PeopleGrid,
                        params: sizing.SizingParams = sizing.DEFAULT_PARAMS) -> list[dict[str, object]]:
    """Kilometres of new networks; facilities planned, needed and missing by kind; projects in and outside the city.

    Parameters
    ----------
    layers : LayerSet
        ``infrastructure``, ``infrastructure_lines``, ``projects`` and
        ``city_boundary`` when present.
    people : PeopleGrid
        Residents and jobs of the target year.
    params : SizingParams
        Capacity of one facility of each kind.

    Returns
    -------
    list of dict
    """
    rows = []
    lines = layers["infrastructure_lines"].frame if "infrastructure_lines" in layers else None
    for kind, label in NETWORK_KINDS.items():
        km = 0.0
        if lines is not None:
            new = lines[(lines["kind"] == kind) & (lines["works"] == "new")]
            km = float(new.geometry.length.sum()) / 1000.0
        rows.append(indicator_row(f"new_length_km.{kind}", "infrastructure", f"New {label}", km, "km", _LENGTH,
                                  "derived"))
    rows.extend(facility_rows(layers, people=people, params=params))
    rows.extend(_project_rows(layers))
    return rows


def facility_rows(layers: LayerSet, *, people: PeopleGrid,
                  params: sizing.SizingParams = sizing.DEFAULT_PARAMS) -> list[dict[str, object]]:
    """Facilities planned (catalogue), needed (sizing of the target-year demand) and missing, by kind.

    Returns
    -------
    list of dict
        ``facilities_planned.<kind>`` and ``facilities_short.<kind>`` for the
        catalogue's kinds (:data:`FACILITY_KINDS`), ``facilities_needed.<kind>``
        for every kind the sizing knows.
    """
    catalogue = layers["infrastructure"].frame if "infrastructure" in layers else pd.DataFrame({"kind": []})
    city = pd.DataFrame({"residents": [float(people.residents.sum())], "jobs": [float(people.jobs.sum())]})
    totals = demand.demand_totals(demand.point_demand(city), by=())
    table = sizing.facilities_needed(totals, params, catalogue=catalogue).set_index("kind")
    rows = []
    for kind, label in {**FACILITY_KINDS, **OTHER_KINDS}.items():
        if kind in FACILITY_KINDS:
            planned = float((catalogue["kind"] == kind).sum())
            rows.append(indicator_row(f"facilities_planned.{kind}", "infrastructure", f"Planned {label}", planned,
                                      "count", _PLANNED, "derived"))
        if kind not in table.index:
            continue
        rows.append(indicator_row(f"facilities_needed.{kind}", "infrastructure", f"Needed {label}",
                                  float(table.loc[kind, "needed"]), "count", _NEEDED, "derived"))
        if kind in FACILITY_KINDS:
            rows.append(indicator_row(f"facilities_short.{kind}", "infrastructure", f"Missing {label}",
                                      float(table.loc[kind, "more_needed"]), "count", _SHORT, "derived"))
    return rows


def _project_rows(layers: LayerSet) -> list[dict[str, object]]:
    if "projects" not in layers:
        return []
    projects = layers["projects"].frame
    outside = 0
    if "city_boundary" in layers:
        city = shapely.union_all(layers["city_boundary"].frame.geometry.to_numpy())
        outside = int((~shapely.covers(city, projects.geometry.to_numpy())).sum())
    return [
        indicator_row("projects.all", "infrastructure", "Investment projects", float(len(projects)), "count",
                      _PROJECTS, "derived"),
        indicator_row("projects.outside_city", "infrastructure", "Investment projects outside the city",
                      float(outside), "count", _PROJECTS_OUTSIDE, "derived"),
    ]
