"""Water bodies as layers, and the water protection zones and strips around them."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely

from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.layers import Layer, Provenance


@dataclass(frozen=True)
class WaterProtectionParams:
    """Widths of water protection zones and strips, metres."""

    reservoir_zone_m: float
    reservoir_strip_m: float
    river_zone_m: float
    river_strip_m: float


def polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    """The polygon parts of a geometry, as a Polygon or MultiPolygon.

    Overlay operations and make_valid can return collections with stray lines
    or points where edges touch; an area layer keeps only the areas.
    """
    parts = [part for part in shapely.get_parts(geometry) if isinstance(part, shapely.Polygon) and not part.is_empty]
    if len(parts) == 1:
        return parts[0]
    return shapely.MultiPolygon(parts)


def protection_bands(water: gpd.GeoDataFrame, *, widths_m: dict[str, float], kind: str,
                     clip: shapely.Geometry | None = None) -> gpd.GeoDataFrame:
    """Bands of given width along water bodies, the water itself removed.

    Parameters
    ----------
    water : GeoDataFrame
        Working CRS; columns ``id``, ``name_en`` and ``water_kind`` ('reservoir' or 'river').
    widths_m : dict
        Band width in metres for each ``water_kind``.
    kind : str
        'zone' or 'strip', written to the ``band`` column.
    clip : shapely geometry, optional
        Area to clip the bands to (the study area).

    Returns
    -------
    GeoDataFrame
        One polygon per water body: ``id``, ``water_body``, ``band``, ``width_m``.
    """
    reservoirs = shapely.union_all(water.geometry[water["water_kind"] == "reservoir"].to_numpy())
    rows = []
    for record in water.itertuples(index=False):
        width = widths_m[record.water_kind]
        if width <= 0:
            continue
        band = shapely.buffer(record.geometry, width, quad_segs=8)
        # Water is not land: neither the reservoir nor the river's own surface counts.
        band = shapely.difference(band, reservoirs)
        if record.water_kind == "reservoir":
            band = shapely.difference(band, record.geometry)
        if clip is not None:
            band = shapely.intersection(band, clip)
        if band.is_empty:
            continue
        rows.append({
            "id": f"{record.id}_{kind}",
            "water_body": record.name_en,
            "band": kind,
            "width_m": float(width),
            "geometry": polygonal(shapely.make_valid(band)),
        })
    return gpd.GeoDataFrame(rows, columns=["id", "water_body", "band", "width_m", "geometry"],
                            geometry="geometry", crs=WORKING_CRS)


def protection_layers(water: gpd.GeoDataFrame, params: WaterProtectionParams, *,
                      clip: shapely.Geometry | None = None) -> tuple[Layer, Layer]:
    """The ``water_protection_zone`` and ``water_protection_strip`` layers."""
    parameters = {
        "reservoir_zone_m": params.reservoir_zone_m,
        "reservoir_strip_m": params.reservoir_strip_m,
        "river_zone_m": params.river_zone_m,
        "river_strip_m": params.river_strip_m,
    }
    layers = []
    for kind, title in (("zone", "Water protection zones"), ("strip", "Water protection strips")):
        widths = {"reservoir": parameters[f"reservoir_{kind}_m"], "river": parameters[f"river_{kind}_m"]}
        frame = protection_bands(water, widths_m=widths, kind=kind, clip=clip)
        layers.append(Layer(
            name=f"water_protection_{kind}",
            title=title,
            frame=frame,
            provenance=Provenance(
                source="reservoir layer at the plan's hydrology.reservoir_level_m and rivers layer (derived from "
                "NASA SRTM3); widths from the plan",
                method=f"buffer of each water body by the plan's {kind} width, the water surface removed, "
                "clipped to the study area",
                parameters=parameters,
                quality="approximate",
            ),
        ))
    return layers[0], layers[1]


def protection_from_water_layers(reservoir: Layer, rivers: Layer, params: WaterProtectionParams, *,
                                 clip: shapely.Geometry | None = None) -> tuple[Layer, Layer]:
    """The water protection zone and strip layers around the ``reservoir`` and ``rivers`` layers.

    Parameters
    ----------
    reservoir, rivers : Layer
        In the working CRS, with ``id`` and ``name_en``.
    params : WaterProtectionParams
        Widths, metres.
    clip : shapely geometry, optional
        The study area.

    Returns
    -------
    tuple of Layer
        ``water_protection_zone``, ``water_protection_strip``.
    """
    columns = ["id", "name_en", "water_kind", "geometry"]
    water = pd.concat([
        reservoir.frame.assign(water_kind="reservoir")[columns],
        rivers.frame.assign(water_kind="river")[columns],
    ], ignore_index=True)
    return protection_layers(gpd.GeoDataFrame(water, geometry="geometry", crs=WORKING_CRS), params, clip=clip)
