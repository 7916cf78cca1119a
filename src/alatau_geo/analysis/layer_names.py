"""Names of the layers the analyses add to a build (light to import: no analysis code is loaded)."""

NETWORK_LAYERS = ("service_areas", "travel_time_nodes")
"""Layers computed on the road network."""
ANALYSIS_LAYERS = ("coverage", "coverage_gaps", *NETWORK_LAYERS)
"""Every layer :func:`alatau_geo.analysis.outputs.analysis_layers` returns."""
