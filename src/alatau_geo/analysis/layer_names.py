"""Names of the layers the analyses add to a build (light to import: no analysis code is loaded).

The build's job modules name these layers without loading the code that
makes them, so a build whose stages all come from the stage cache starts
quickly (:mod:`alatau_geo.jobs.stage_cache`).
"""

FACILITY_LAYERS = ("infrastructure", "infrastructure_lines")
"""The placed objects the analyses serve from (:func:`alatau_geo.analysis.proximity.facilities_from`)."""
NETWORK_LAYERS = ("service_areas", "travel_time_nodes")
"""Layers computed on the road network."""
ANALYSIS_LAYERS = ("coverage", "coverage_gaps", *NETWORK_LAYERS)
"""Every layer :func:`alatau_geo.analysis.outputs.analysis_layers` returns."""
POPULATION_LAYERS = ("population_districts", "population_blocks")
"""The layers :func:`alatau_geo.analysis.population_layers.population_layers` returns."""
HAZARD_LAYERS = ("floodplain", "reservoir_bands")
"""The hazard layers: the floodplain and the reservoir's shore bands (:mod:`alatau_geo.analysis.hazard_layers`)."""
SUITABILITY_LAYERS = ("suitability_classes", "suitability_sensitivity", *HAZARD_LAYERS)
"""The suitability surface's layers and the hazard layers that come with them (:mod:`alatau_geo.jobs.suitability`)."""
MOUNTAIN_LAYERS = ("mountain_stations", "mountain_terrain_classes", "mountain_lift_lines", "almaty_extent",
                   "air_corridors", "air_corridor_streams", "air_corridor_meets", "mountain_ski_terrain")
"""Layers of the mountain cluster and Almaty's air corridors (DEM-derived: a build without tiles keeps them)."""
