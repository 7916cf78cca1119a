"""The public Python API: what the notebooks and a planner's own scripts use.

Each function here wraps a few library steps into one call on the layers
folder a build writes (``layers/``). Everything is importable from the
package itself::

    import alatau_geo as ag
    plan = ag.load_plan()
    layers = ag.read_layers("layers")
    ag.area_table(layers, plan)
"""

from alatau_geo.api._shared import DEFAULT_LAYERS_DIR, MAP_KINDS, elevation
from alatau_geo.api.layers import (
    PROPOSAL_RULES,
    add_facility,
    area_table,
    build_layers,
    compare_plans,
    coverage,
    placement_report,
    road_network,
    service_areas,
    show_map,
    travel_times,
    uncovered_by_district,
)
from alatau_geo.api.planning import (
    hazards,
    mountain_cluster,
    population,
    siting,
    siting_map,
    suitability,
)
from alatau_geo.api.scenarios import compare_scenarios, indicators, uncertainty

__all__ = [
    "DEFAULT_LAYERS_DIR",
    "MAP_KINDS",
    "PROPOSAL_RULES",
    "add_facility",
    "area_table",
    "build_layers",
    "compare_plans",
    "compare_scenarios",
    "coverage",
    "elevation",
    "hazards",
    "indicators",
    "mountain_cluster",
    "placement_report",
    "population",
    "road_network",
    "service_areas",
    "show_map",
    "siting",
    "siting_map",
    "suitability",
    "travel_times",
    "uncertainty",
    "uncovered_by_district",
]
