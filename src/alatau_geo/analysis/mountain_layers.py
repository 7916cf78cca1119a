"""The mountain-cluster and air-corridor results as layers with provenance.

Wraps the GeoDataFrames of :func:`alatau_geo.analysis.mountain.analyse_cluster`
and :func:`alatau_geo.analysis.air_corridors.air_corridors` as
:class:`~alatau_geo.core.layers.Layer` objects, so they can be exported and mapped
like the reference layers. :func:`ski_terrain_layer` adds a light copy of the
slope classes for the maps (patches of a few cells merged into their
neighbours, outlines simplified); the areas it carries are those of the
unsimplified classes. Nothing is written here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely

from alatau_geo.analysis.air_corridors import Corridors
from alatau_geo.analysis.mountain import TERRAIN_SOURCE, MountainCluster
from alatau_geo.analysis.terrain_classes import SLOPE_CLASSES, class_polygons
from alatau_geo.core.layers import Layer, Provenance
from alatau_geo.core.raster import Raster
from alatau_geo.plan.mountain_params import MountainParams

_SRTM = "NASA SRTM3 (public domain)"


def _parameters(section: Any, prefix: str) -> dict[str, Any]:
    return {f"{prefix}.{key}": value for key, value in dataclasses.asdict(section).items()}


def with_profiles(lines: gpd.GeoDataFrame, profiles: pd.DataFrame) -> gpd.GeoDataFrame:
    """The lift lines with their elevation profiles as text attributes (for popups and GIS tables).

    Adds ``profile_step_m`` (horizontal spacing of the samples, metres) and
    ``profile_elevations_m`` (whole metres from the first station to the
    second, separated by spaces).

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> lines = gpd.GeoDataFrame({"id": ["a-b"]}, geometry=[LineString([(0, 0), (60, 0)])], crs=32643)
    >>> tidy = pd.DataFrame({"line_id": ["a-b"] * 3, "distance_m": [0.0, 30.0, 60.0],
    ...                      "elevation_m": [1700.2, 1731.6, 1760.0]})
    >>> with_profiles(lines, tidy)[["profile_step_m", "profile_elevations_m"]].values.tolist()
    [[30.0, '1700 1732 1760']]
    """
    frame = lines.copy()
    steps, texts = [], []
    for line_id in frame["id"]:
        profile = profiles[profiles["line_id"] == line_id].sort_values("distance_m")
        distance = profile["distance_m"].to_numpy(dtype=float)
        steps.append(round(float(distance[1] - distance[0]), 2) if len(distance) > 1 else 0.0)
        texts.append(" ".join(f"{value:.0f}" for value in np.round(profile["elevation_m"].to_numpy(dtype=float))))
    frame["profile_step_m"] = steps
    frame["profile_elevations_m"] = texts
    return frame


def _named(lines: gpd.GeoDataFrame, stations: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The lines with a ``name_en`` from their stations' names ("Medeu - Shymbulak")."""
    names = stations.set_index("id")["name_en"] if "name_en" in stations.columns else pd.Series(dtype=object)
    frame = lines.copy()
    frame.insert(1, "name_en", [f"{names.get(a, a)} - {names.get(b, b)}"
                                for a, b in zip(frame["from_id"], frame["to_id"], strict=True)])
    return frame


def mountain_layers(cluster: MountainCluster, corridors: Corridors, city: gpd.GeoDataFrame, *,
                    params: MountainParams, places_source: str) -> list[Layer]:
    """Seven layers: stations, terrain classes, lift lines, Almaty extent, corridors, their streams and meetings.

    Parameters
    ----------
    cluster : MountainCluster
    corridors : Corridors
    city : GeoDataFrame
        The Almaty extent the corridors were measured against (:func:`~alatau_geo.analysis.air_corridors.city_extent`).
    params : MountainParams
    places_source : str
        Where the mountain places table came from.
    """
    terrain = _parameters(params.terrain, "mountain.terrain")
    lifts = _parameters(params.lifts, "mountain.lifts")
    corridor = _parameters(params.corridors, "mountain.corridors")
    city_quality = "approximate" if (city.get("quality") == "approximate").any() else "published"
    return [
        Layer("mountain_stations", cluster.stations, Provenance(
            source=f"{places_source}; elevation: {_SRTM}",
            method="positions from the table (see position_quality and source per row); DEM height bilinear",
            quality="approximate"), "Mountain cluster: base station and resorts"),
        Layer("mountain_terrain_classes", cluster.terrain.polygons, Provenance(
            source=TERRAIN_SOURCE, method="elevation bands, ski slope classes, aspect, avalanche-prone and "
            "snow-holding slopes in the study window", parameters=terrain, quality="derived"),
            "Mountain cluster: terrain classes"),
        Layer("mountain_lift_lines", _named(with_profiles(cluster.lines, cluster.profiles), cluster.stations),
              Provenance(
            source=f"{places_source}; {_SRTM}", method="straight lines between stations; profile sampled "
            "bilinearly (see the profile attributes)", parameters=lifts, quality="approximate"),
            "Mountain cluster: candidate lift lines"),
        Layer("almaty_extent", city, Provenance(
            source=f"{_SRTM}; published area and highest elevation of Almaty",
            method=str(city["method"].iloc[0]) if "method" in city else "boundary given by the user",
            parameters=corridor, quality=city_quality), "Almaty (approximate extent)"),
        Layer("air_corridors", corridors.frame, Provenance(
            source=_SRTM, method="mountain-to-city river valleys: D8 streams draining mountain land into the "
            "city; valley floor by HAND and distance; areas inside the Almaty extent", parameters=corridor,
            quality="derived"), "Almaty green and air corridors (valley floors)"),
        Layer("air_corridor_streams", corridors.streams, Provenance(
            source=_SRTM, method="main stem of each corridor from its mountain source to its outlet",
            parameters=corridor, quality="derived"), "Almaty air corridors: main streams"),
        Layer("air_corridor_meets", corridors.meets, Provenance(
            source=_SRTM, method="corridor land inside the Almaty extent on steep slopes or in the upper city",
            parameters=corridor, quality="derived"), "Almaty air corridors: steep and upper city"),
    ]


DISPLAY_MIN_CELLS = 6
"""Slope-class patches smaller than this many cells are merged into their neighbours on the map (~5 ha)."""
DISPLAY_TOLERANCE_M = 45.0
"""Outline simplification of the map's slope classes, metres (half a 90 m cell)."""


def ski_terrain_layer(cluster: MountainCluster, *, params: MountainParams,
                      min_cells: int = DISPLAY_MIN_CELLS, tolerance_m: float = DISPLAY_TOLERANCE_M) -> Layer:
    """Layer ``mountain_ski_terrain``: the ski slope classes simplified for display.

    Patches smaller than `min_cells` cells join their largest neighbour
    (``rasterio.features.sieve``), the classes are polygonised and their
    outlines simplified together by `tolerance_m` (``shapely.coverage_simplify``,
    so neighbours keep one shared edge). ``area_ha`` and ``share_pct`` are
    those of the unsimplified classes (:attr:`MountainTerrain.table`).

    Returns
    -------
    Layer
        ``id`` (the class name), ``class``, ``definition``, ``area_ha``,
        ``share_pct``, ``basis``; one (multi)polygon per class, UTM 43N.
    """
    codes = cluster.terrain.classes["slope_class"]
    valid = ~np.isnan(codes.data)
    values = np.where(valid, codes.data, 0).astype(np.int32)
    sieved = rasterio.features.sieve(values, size=min_cells, mask=valid, connectivity=8)
    display = Raster(np.where(valid, sieved, np.nan).astype(np.float32), codes.transform, codes.crs)
    labels = {float(code): name for code, name in enumerate(SLOPE_CLASSES)}
    frame = class_polygons(display, labels, layer="slope_class").drop(columns="area_ha")
    frame["geometry"] = shapely.coverage_simplify(np.asarray(frame.geometry.values), tolerance_m)
    table = cluster.terrain.table
    table = table[table["layer"] == "slope_class"].set_index("class")
    frame = frame.set_index("class").join(table[["definition", "area_ha", "share_pct"]]).reset_index()
    frame = gpd.GeoDataFrame({"id": frame["class"], "class": frame["class"], "definition": frame["definition"],
                              "area_ha": frame["area_ha"].round(1), "share_pct": frame["share_pct"].round(1),
                              "basis": "derived"}, geometry=frame.geometry.to_numpy(), crs=codes.crs)
    return Layer("mountain_ski_terrain", frame, Provenance(
        source=TERRAIN_SOURCE, method=f"slope classes of the study window; for display: patches under {min_cells} "
        f"cells merged into their neighbours, outlines simplified by {tolerance_m:g} m; areas of the "
        "unsimplified classes", parameters=_parameters(params.terrain, "mountain.terrain"), quality="derived"),
        "Mountain cluster: ski terrain (slope classes)")
