"""Land and infrastructure indicators: areas, buildable land, SEZ, hazard bands, networks, facilities.

Areas are measured in the equal-area CRS (see :func:`alatau_geo.core.crs.area_ha`),
lengths in the working CRS (UTM 43N), as everywhere in the toolkit.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from alatau_geo.analysis import areas
from alatau_geo.analysis.indicator_model import NOT_COMPUTED, indicator_row
from alatau_geo.core.crs import WORKING_CRS, area_ha
from alatau_geo.core.layers import LayerSet
from alatau_geo.core.raster import Raster
from alatau_geo.plan.config import Plan
from alatau_geo.reference import terrain

HAZARD_LAYERS: Mapping[str, str] = MappingProxyType({
    "water_protection_strip": "water protection strips",
    "water_protection_zone": "water protection zones",
})
"""Hazard and protection bands counted by :func:`land_rows` when the workspace has them, with a label.

The zones hold the strips (a strip is the stricter inner part of its zone).
Layers the suitability analysis adds later (floodplain, reservoir levels)
join here by name.
"""
NETWORK_KINDS: Mapping[str, str] = MappingProxyType({"gas_pipeline": "gas pipelines", "road": "roads"})
"""Line kinds of the ``infrastructure_lines`` layer whose new length is counted, with a label."""
FACILITY_KINDS: Mapping[str, str] = MappingProxyType({
    "substation": "substations", "water_intake": "water intake nodes", "wastewater_plant": "wastewater plants",
})
"""Point kinds of the ``infrastructure`` layer counted as facilities, with a label."""

_AREA = ("Area of the zone in the equal-area projection (Albers, 43.5 N), ha; zones as the plan's construction "
         "rules build them, calibrated to the published area where one is given.")
_BUILDABLE = ("Area of the zone that is buildable: not steeper than the plan's slope limit "
              "(analysis.max_buildable_slope_deg, an assumption) on the 90 m SRTM3 grid, outside the reservoir "
              "and the water protection zones, ha.")
_SEZ = "Area of the special economic zone as the plan builds it, ha (equal-area projection)."
_SEZ_OUTSIDE = ("Area of all special economic zones that lies outside the city boundary, ha (published for the "
                "SEZ Alatau: more than 24,000 ha).")
_HAZARD = ("Land of the zone inside the band, ha; band widths are the plan's water_protection widths "
           "(planning assumptions until the approved widths are entered).")
_LENGTH = ("Length of the new (works = new) lines of this kind in the infrastructure catalogue, km, along their "
           "schematic routes through the catalogue's via stops (routes are planning assumptions).")
_PLANNED = "Facilities of this kind in the infrastructure catalogue (new and reconstructed), count."
_NEEDED = (f"{NOT_COMPUTED}: facilities the allocated demand needs, from the sizing of the siting analysis "
           "(issue 15, alatau_geo.analysis.sizing), which is not part of this version.")
_SHORT = f"{NOT_COMPUTED}: facilities needed less facilities planned (needs the sizing of the siting analysis)."
_PROJECTS = "Investment projects in the projects catalogue, count."
_PROJECTS_OUTSIDE = "Investment projects whose placed position lies outside the city boundary, count."


def zone_frame(layers: LayerSet) -> gpd.GeoDataFrame:
    """The districts and the city boundary in one frame (``id``, ``name_en``, ``layer``), working CRS."""
    parts = [layers[name].frame.assign(layer=name)[["id", "name_en", "layer", "geometry"]]
             for name in ("districts", "city_boundary") if name in layers]
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=WORKING_CRS)


def land_rows(layers: LayerSet, plan: Plan, *, elevation: Raster) -> list[dict[str, object]]:
    """Area and buildable area by zone, SEZ areas, and land in each hazard band by zone.

    Parameters
    ----------
    layers : LayerSet
        With ``districts`` and ``city_boundary``; ``sez``, ``reservoir``
        and the :data:`HAZARD_LAYERS` when present.
    plan : Plan
        Supplies the buildable slope limit, degrees.
    elevation : Raster
        Working-grid DEM, metres (its slope decides what is steep).

    Returns
    -------
    list of dict
        Indicator rows (:func:`~alatau_geo.analysis.indicator_model.indicator_row`).
    """
    table = areas.zone_area_table(layers, slope=terrain.slope(elevation),
                                  max_slope_deg=plan.analysis.max_buildable_slope_deg)
    rows = []
    for record in table.itertuples(index=False):
        rows.append(indicator_row(f"area_ha.{record.zone}", "land", f"Area: {record.name_en}", record.area_ha,
                                  "ha", _AREA, "derived"))
        rows.append(indicator_row(f"buildable_ha.{record.zone}", "land", f"Buildable area: {record.name_en}",
                                  record.buildable_ha, "ha", _BUILDABLE, "derived"))
    rows.extend(_sez_rows(layers))
    rows.extend(_hazard_rows(layers))
    return rows


def _sez_rows(layers: LayerSet) -> list[dict[str, object]]:
    if "sez" not in layers:
        return []
    sez = layers["sez"].frame
    rows = [indicator_row(f"sez_ha.{zone_id}", "land", f"SEZ area: {name}", value, "ha", _SEZ, "derived")
            for zone_id, name, value in zip(sez["id"], sez["name_en"], area_ha(sez), strict=True)]
    outside = 0.0
    if "city_boundary" in layers:
        city = shapely.union_all(layers["city_boundary"].frame.geometry.to_numpy())
        beyond = shapely.difference(shapely.union_all(sez.geometry.to_numpy()), city)
        outside = float(area_ha(gpd.GeoSeries([beyond], crs=WORKING_CRS)).iloc[0]) if not beyond.is_empty else 0.0
    rows.append(indicator_row("sez_outside_city_ha.all", "land", "SEZ land outside the city", outside, "ha",
                              _SEZ_OUTSIDE, "derived"))
    return rows


def _hazard_rows(layers: LayerSet) -> list[dict[str, object]]:
    zones = zone_frame(layers)
    rows = []
    for name, label in HAZARD_LAYERS.items():
        if name not in layers:
            continue
        band = shapely.union_all(layers[name].frame.geometry.to_numpy())
        inside = area_ha(gpd.GeoSeries(shapely.intersection(zones.geometry.to_numpy(), band), crs=WORKING_CRS))
        for zone_id, zone_name, value in zip(zones["id"], zones["name_en"], inside, strict=True):
            rows.append(indicator_row(f"hazard_ha.{name}.{zone_id}", "land", f"Land in {label}: {zone_name}",
                                      value, "ha", _HAZARD, "derived"))
    return rows


def infrastructure_rows(layers: LayerSet) -> list[dict[str, object]]:
    """Kilometres of new networks, facilities planned and needed by kind, projects in and outside the city.

    The facilities needed come from the sizing of the siting analysis
    (issue 15); until it is part of the toolkit their rows say
    :data:`~alatau_geo.analysis.indicator_model.NOT_COMPUTED` and hold NaN.

    Parameters
    ----------
    layers : LayerSet
        ``infrastructure``, ``infrastructure_lines``, ``projects`` and
        ``city_boundary`` when present.

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
    points = layers["infrastructure"].frame if "infrastructure" in layers else None
    planned = points["kind"].value_counts() if points is not None else pd.Series(dtype=int)
    for kind, label in FACILITY_KINDS.items():
        rows.append(indicator_row(f"facilities_planned.{kind}", "infrastructure", f"Planned {label}",
                                  float(planned.get(kind, 0)), "count", _PLANNED, "derived"))
    rows.extend(facilities_needed_rows())
    rows.extend(_project_rows(layers))
    return rows


def facilities_needed_rows() -> list[dict[str, object]]:
    """Facilities needed and short by kind: the hook for the siting analysis's sizing.

    Returns rows with NaN values whose definition starts with
    :data:`~alatau_geo.analysis.indicator_model.NOT_COMPUTED` until
    ``alatau_geo.analysis.sizing`` (issue 15) is part of the toolkit; then
    this function computes them from the allocated demand.

    Examples
    --------
    >>> rows = facilities_needed_rows()
    >>> rows[0]["id"], rows[0]["definition"].startswith("not computed")
    ('facilities_needed.substation', True)
    """
    rows = []
    for kind, label in FACILITY_KINDS.items():
        rows.append(indicator_row(f"facilities_needed.{kind}", "infrastructure", f"Needed {label}", np.nan,
                                  "count", _NEEDED, "derived"))
        rows.append(indicator_row(f"facilities_short.{kind}", "infrastructure", f"Missing {label}", np.nan,
                                  "count", _SHORT, "derived"))
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
