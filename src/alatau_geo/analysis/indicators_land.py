"""Land indicators: area and buildable area by zone, SEZ land, land in hazard bands.

Areas are measured in the equal-area CRS (see :func:`alatau_geo.core.crs.area_ha`), as
everywhere in the toolkit.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import geopandas as gpd
import pandas as pd
import shapely

from alatau_geo.analysis import areas
from alatau_geo.analysis.indicator_model import indicator_row
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
    table = areas.area_table(layers, unbuildable_ha=_unbuildable_ha(layers, elevation, plan=plan))
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


def _unbuildable_ha(layers: LayerSet, elevation: Raster, *, plan: Plan) -> pd.Series:
    """Hectares of each zone steeper than the plan's limit, under the reservoir or in a water protection zone.

    The indicator's own definition of buildable land (see ``buildable_ha``), computed from the layers
    and the DEM alone so that any built workspace can be compared, with or without its suitability rasters.
    """
    zones = areas.zones_frame(layers)
    extent = tuple(layers["city_boundary"].frame.total_bounds)
    blocked = [areas.steep_land(terrain.slope(elevation), max_slope_deg=plan.analysis.max_buildable_slope_deg,
                                within=extent)]
    for name in ("reservoir", "water_protection_zone"):
        if name in layers:
            blocked.extend(layers[name].frame.geometry.to_numpy())
    union = shapely.union_all(blocked)
    lost = gpd.GeoSeries(shapely.intersection(zones.geometry.to_numpy(), union), crs=WORKING_CRS)
    return pd.Series(area_ha(lost).to_numpy(), index=zones["id"].astype(str).to_numpy())
