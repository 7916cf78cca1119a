"""The parameters of the reservoir extraction and the stream network.

Apart from :mod:`alatau_geo.reference.hydrology`, so that reading a plan
does not load that module's raster code (scipy.ndimage alone takes about
0.15 s to import, on every command).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HydrologyParams"]


@dataclass(frozen=True)
class HydrologyParams:
    """Reservoir extraction and stream derivation parameters.

    Attributes
    ----------
    srtm_surface_m : int
        Level of the flattened reservoir surface in SRTM3 (February 2000), metres.
    reservoir_level_m : float
        Water level the reservoir layer is drawn at, metres; at least `srtm_surface_m`.
    min_island_ha : float
        Dry spots enclosed by the water and smaller than this are filled, hectares.
    stream_threshold_km2 : float
        A stream starts where the upstream area exceeds this, km².
    reservoir_simplify_tolerance_m : float
        Tolerance the reservoir outline is simplified with, metres; lowered
        until the area changes by no more than `reservoir_max_area_change_pct`.
    reservoir_max_area_change_pct : float
        Largest change of the reservoir's area its simplification may make, percent.
    stream_simplify_tolerance_m : float
        Tolerance the stream lines are simplified with, metres.
    name_snap_radius_m : float
        A river's named point is snapped to the stream cell with the largest
        upstream area within this radius, metres.
    """

    srtm_surface_m: int
    reservoir_level_m: float
    min_island_ha: float
    stream_threshold_km2: float
    reservoir_simplify_tolerance_m: float
    reservoir_max_area_change_pct: float
    stream_simplify_tolerance_m: float
    name_snap_radius_m: float
