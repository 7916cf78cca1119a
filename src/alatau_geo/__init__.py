"""alatau-geo: geospatial planning toolkit for Alatau City, Kazakhstan.

The public API, for notebooks and scripts (``import alatau_geo as ag``):

=========================  ==================================================
``ag.load_plan``           read and check a plan file (TOML)
``ag.build_layers``        build every layer and export it (``alatau-geo build``)
``ag.read_layers``         the layers of a layers folder
``ag.export_layers``       GeoJSON files, one GeoPackage and a manifest
``ag.validate_layer``      check a user's layer file
``ag.elevation``           the working-grid DEM
``ag.area_table``          areas of the districts and the city
``ag.suitability``         land suitability classes, weights, sensitivity
``ag.hazards``             floodplain and reservoir bands per district
``ag.placement_report``    placement rules of every object
``ag.proximity_tables``    nearest facilities, coverage, gaps
``ag.compare_plans``       what changes between two plans
``ag.siting``              demand, sizing and optimal facility sites (``alatau-geo site``)
``ag.siting_map``          recommended against planned sites, catchments by load
``ag.show_map``            interactive map (inline in a notebook)
``ag.add_facility``        a copy of the layers with one more facility
``ag.coverage``            straight-line coverage and gaps, as layers
``ag.uncovered_by_district``  uncovered ha per district and facility kind
``ag.road_network``        the routable graph (osmnx-compatible)
``ag.service_areas``       service areas and the travel-time surface
``ag.travel_times``        travel times, job access, 2SFCA tables
``ag.population``          residents and jobs: capacity, targets, allocation by phase
``ag.mountain_cluster``    Almaty mountain cluster: terrain, lifts, capacity, air corridors
``ag.area_ha``             areas in hectares (equal-area projection)
``ag.indicators``          every scenario indicator of a built workspace
``ag.compare_scenarios``   indicators of workspaces side by side (``alatau-geo compare``)
``ag.uncertainty``         bands of the indicators over runs (``alatau-geo uncertainty``)
``ag.Plan``, ``ag.Layer``, ``ag.LayerSet``, ``ag.Provenance``  the data types
``ag.AlatauGeoError``      root of every error the toolkit raises
=========================  ==================================================

Coordinates are (x, y) = (lon, lat) everywhere; layers hold UTM 43N
(EPSG:32643) metres; areas are hectares from an equal-area projection.
Names are imported on first use, so ``import alatau_geo`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "load_plan": "alatau_geo.plan.config",
    "Plan": "alatau_geo.plan.config",
    "Layer": "alatau_geo.core.layers",
    "LayerSet": "alatau_geo.core.layers",
    "Provenance": "alatau_geo.core.layers",
    "AlatauGeoError": "alatau_geo.core.errors",
    "read_layers": "alatau_geo.core.io",
    "export_layers": "alatau_geo.core.io",
    "validate_layer": "alatau_geo.core.validate",
    "proximity_tables": "alatau_geo.analysis.proximity",
    "build_layers": "alatau_geo.api",
    "elevation": "alatau_geo.api",
    "area_table": "alatau_geo.api",
    "placement_report": "alatau_geo.api",
    "compare_plans": "alatau_geo.api",
    "siting": "alatau_geo.api",
    "siting_map": "alatau_geo.api",
    "show_map": "alatau_geo.api",
    "add_facility": "alatau_geo.api",
    "coverage": "alatau_geo.api",
    "uncovered_by_district": "alatau_geo.api",
    "road_network": "alatau_geo.api",
    "service_areas": "alatau_geo.api",
    "travel_times": "alatau_geo.api",
    "population": "alatau_geo.api",
    "mountain_cluster": "alatau_geo.api",
    "suitability": "alatau_geo.api",
    "hazards": "alatau_geo.api",
    "area_ha": "alatau_geo.core.crs",
    "indicators": "alatau_geo.api",
    "compare_scenarios": "alatau_geo.api",
    "uncertainty": "alatau_geo.api",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'alatau_geo' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])
