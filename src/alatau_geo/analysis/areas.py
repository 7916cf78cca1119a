"""Area analysis of the zones: hectares, shares, buildable land, SEZ overlap, densities.

All areas are measured in the equal-area CRS (:data:`alatau_geo.core.crs.EQUAL_AREA_CRS`)
and given in hectares. Buildable land is a zone's area less the land that is
steeper than the plan's limit, the water, and the water protection zones.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely
from shapely.geometry import shape

from alatau_geo.core.crs import WORKING_CRS, area_ha
from alatau_geo.core.layers import LayerSet
from alatau_geo.core.raster import Raster
from alatau_geo.reference.terrain import clip_to_bounds

AREA_COLUMNS = (
    "zone", "name_en", "area_ha", "share_of_city_pct", "buildable_ha", "buildable_pct", "sez_overlap_ha",
    "published_ha", "difference_pct", "residents_target", "jobs_target", "residents_per_ha", "jobs_per_ha",
)


def steep_land(slope: Raster, *, max_slope_deg: float,
               within: tuple[float, float, float, float] | None = None) -> shapely.Geometry:
    """Cells steeper than `max_slope_deg` as one (multi)polygon in the slope raster's CRS.

    Parameters
    ----------
    slope : Raster
        Slope in degrees on a projected grid.
    max_slope_deg : float
        Limit, degrees; cells above it are steep.
    within : (xmin, ymin, xmax, ymax), optional
        Only cells inside these bounds (the zones' extent) are polygonised;
        the mountains south of Almaty need not be.
    """
    if within is not None:
        slope = clip_to_bounds(slope, within)
    mask = np.nan_to_num(slope.data, nan=0.0) > max_slope_deg
    if not mask.any():
        return shapely.Polygon()
    polygons = [shape(g) for g, v in rasterio.features.shapes(mask.astype(np.uint8), mask=mask,
                                                              transform=slope.transform) if v == 1]
    return shapely.union_all(polygons)


def area_table(layers: LayerSet, *, unbuildable: shapely.Geometry) -> pd.DataFrame:
    """One row per district and one for the city: the figures a planner checks.

    Parameters
    ----------
    layers : LayerSet
        Must hold ``districts`` and ``city_boundary``; ``sez``,
        ``reservoir`` and ``water_protection_zone`` are used when present.
    unbuildable : shapely geometry
        Land that cannot be built on besides water and protection zones
        (steep land, see :func:`steep_land`), working CRS.

    Returns
    -------
    DataFrame
        Columns :data:`AREA_COLUMNS`; areas in ha, shares and differences in
        percent, densities per ha of zone area.
    """
    districts = layers["districts"].frame
    city = layers["city_boundary"].frame
    zones = pd.concat([districts.assign(layer="districts"), city.assign(layer="city_boundary")], ignore_index=True)
    zones = gpd.GeoDataFrame(zones, geometry="geometry", crs=WORKING_CRS)
    excluded = [unbuildable]
    for name in ("reservoir", "water_protection_zone"):
        if name in layers:
            excluded.extend(layers[name].frame.geometry.to_numpy())
    blocked = shapely.union_all(excluded)
    sez = shapely.union_all(layers["sez"].frame.geometry.to_numpy()) if "sez" in layers else None
    area = area_ha(zones)
    city_area = float(area[zones["layer"] == "city_boundary"].sum())
    buildable = area_ha(gpd.GeoSeries(shapely.difference(zones.geometry.to_numpy(), blocked), crs=WORKING_CRS))
    overlap = (area_ha(gpd.GeoSeries(shapely.intersection(zones.geometry.to_numpy(), sez), crs=WORKING_CRS))
               if sez is not None else pd.Series(np.nan, index=zones.index))
    table = pd.DataFrame({
        "zone": zones["id"],
        "name_en": zones["name_en"],
        "area_ha": area.round(1),
        "share_of_city_pct": (100 * area / city_area).round(2) if city_area else np.nan,
        "buildable_ha": buildable.round(1),
        "buildable_pct": (100 * buildable / area).round(1),
        "sez_overlap_ha": overlap.round(1),
        "published_ha": zones.get("published_ha", pd.Series(np.nan, index=zones.index)),
    })
    table["difference_pct"] = (100 * (table["area_ha"] - table["published_ha"]) / table["published_ha"]).round(3)
    for column in ("residents_target", "jobs_target"):
        values = zones[column] if column in zones else pd.Series(np.nan, index=zones.index)
        table[column] = pd.array(values.round(), dtype="Int64")
    table["residents_per_ha"] = (table["residents_target"] / table["area_ha"]).round(1)
    table["jobs_per_ha"] = (table["jobs_target"] / table["area_ha"]).round(1)
    return table[list(AREA_COLUMNS)].reset_index(drop=True)


def zone_area_table(layers: LayerSet, *, slope: Raster, max_slope_deg: float) -> pd.DataFrame:
    """:func:`area_table` with steep land taken from a slope raster over the city's extent.

    Parameters
    ----------
    layers : LayerSet
        As for :func:`area_table`.
    slope : Raster
        Slope in degrees on the working grid.
    max_slope_deg : float
        Steeper land is not buildable, degrees.
    """
    extent = tuple(layers["city_boundary"].frame.total_bounds)
    return area_table(layers, unbuildable=steep_land(slope, max_slope_deg=max_slope_deg, within=extent))
