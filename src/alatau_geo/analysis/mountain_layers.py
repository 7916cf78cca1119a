"""The mountain-cluster and air-corridor results as layers with provenance.

Wraps the GeoDataFrames of :func:`alatau_geo.analysis.mountain.analyse_cluster`
and :func:`alatau_geo.analysis.air_corridors.air_corridors` as
:class:`~alatau_geo.core.layers.Layer` objects, so they can be exported and mapped
like the reference layers. Nothing is computed or written here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import geopandas as gpd

from alatau_geo.analysis.air_corridors import Corridors
from alatau_geo.analysis.mountain import TERRAIN_SOURCE, MountainCluster
from alatau_geo.core.layers import Layer, Provenance
from alatau_geo.plan.mountain_params import MountainParams

_SRTM = "NASA SRTM3 (public domain)"


def _parameters(section: Any, prefix: str) -> dict[str, Any]:
    return {f"{prefix}.{key}": value for key, value in dataclasses.asdict(section).items()}


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
        Layer("mountain_lift_lines", cluster.lines, Provenance(
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
