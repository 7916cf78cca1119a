"""What the placement rules look at: the context of layers and rasters, and the object checked.

:class:`PlacementContext` holds the districts, corridors, places, water
protection strips, reservoir, elevation and slope in the working CRS
(EPSG:32643); :class:`Target` is what a rule needs to know of the object it
checks. Coordinates are (x, y) in metres.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.errors import CRSError, LayerError
from alatau_geo.core.layers import Layer
from alatau_geo.core.raster import Raster
from alatau_geo.plan.config import AnalysisParams, Plan

#: Distance within which ``near_corridor`` counts an object as on the corridor, metres
#: (planning assumption: a short access road or connection).
NEAR_CORRIDOR_M = 2000.0
#: Rule-placed points keep at least this distance from objects placed before them, metres,
#: whenever a candidate breaking no more rules allows it.
MIN_SPACING_M = 1000.0


def flood_reference_level_m(plan: Plan) -> float:
    """The reservoir level the flood rules measure from, metres: its maximum operating level.

    One definition for the placement rule ``above_flood`` and the suitability
    hazard ``reservoir_below_max``: ``suitability.hazards.reservoir_max_level_m``,
    or the DEM's surface (``hydrology.reservoir_level_m``) for a plan without
    a suitability section.

    Examples
    --------
    >>> from alatau_geo.plan.config import load_plan
    >>> flood_reference_level_m(load_plan())
    485.0
    """
    if plan.suitability is None:
        return float(plan.hydrology.reservoir_level_m)
    return float(plan.suitability.hazards.reservoir_max_level_m)


@dataclass(frozen=True, eq=False)
class PlacementContext:
    """Everything the placement rules look at, in the working CRS (EPSG:32643).

    Parameters
    ----------
    districts : GeoDataFrame
        Columns ``id`` and geometry (Polygon or MultiPolygon); rows with the
        same id form one district.
    corridors, places : GeoDataFrame
        Lines and points with an ``id`` column (the ``corridors`` and ``places`` layers).
    water_protection_strip : GeoDataFrame
        Strip polygons; ``water_body`` names the water body in report details.
    reservoir : GeoDataFrame
        The reservoir polygon(s).
    elevation, slope : Raster
        Elevation in metres and slope in degrees on the working grid.
    analysis : AnalysisParams
        ``max_buildable_slope_deg``, ``flood_freeboard_m``, ``placement_grid_m``.
    reservoir_level_m : float
        The reservoir's highest level, metres: its maximum operating level
        (``plan.suitability.hazards.reservoir_max_level_m``, the level the
        suitability's ``reservoir_below_max`` hazard uses); without a
        suitability section, its surface in the DEM (``plan.hydrology.reservoir_level_m``).
    near_corridor_m, min_spacing_m : float
        See :data:`NEAR_CORRIDOR_M` and :data:`MIN_SPACING_M`.
    city_boundary : GeoDataFrame, optional
        Where rows without a district are placed; without it, the union of the districts.

    Raises
    ------
    CRSError
        If a frame or raster is not in EPSG:32643; the message shows both CRSs.
    LayerError
        If a frame lacks an ``id`` column.
    """

    districts: gpd.GeoDataFrame
    corridors: gpd.GeoDataFrame
    places: gpd.GeoDataFrame
    water_protection_strip: gpd.GeoDataFrame
    reservoir: gpd.GeoDataFrame
    elevation: Raster
    slope: Raster
    analysis: AnalysisParams
    reservoir_level_m: float
    near_corridor_m: float = NEAR_CORRIDOR_M
    min_spacing_m: float = MIN_SPACING_M
    city_boundary: gpd.GeoDataFrame | None = None

    def __post_init__(self) -> None:
        for name in ("districts", "corridors", "places", "water_protection_strip", "reservoir", "city_boundary"):
            frame = getattr(self, name)
            if frame is None:
                continue
            if frame.crs is None or not WORKING_CRS.equals(frame.crs):
                raise CRSError(f"placement context: {name} must be in {WORKING_CRS.to_string()}, got {frame.crs}")
            if name not in ("reservoir", "city_boundary") and "id" not in frame.columns:
                raise LayerError(f"placement context: {name} has no 'id' column")
        for name in ("elevation", "slope"):
            crs = CRS.from_user_input(getattr(self, name).crs)
            if not WORKING_CRS.equals(crs):
                raise CRSError(f"placement context: {name} raster must be in {WORKING_CRS.to_string()}, got {crs}")

    @classmethod
    def from_layers(cls, layers: Mapping[str, Layer], *, elevation: Raster, slope: Raster, plan: Plan,
                    near_corridor_m: float = NEAR_CORRIDOR_M, min_spacing_m: float = MIN_SPACING_M,
                    ) -> PlacementContext:
        """Build the context from named layers, the working rasters and the plan.

        The layers are ``districts``, ``corridors``, ``places``,
        ``water_protection_strip`` and ``reservoir``; ``city_boundary`` if present.

        Raises
        ------
        LayerError
            If one of those layers is missing.
        """
        needed = ("districts", "corridors", "places", "water_protection_strip", "reservoir")
        missing = [name for name in needed if name not in layers]
        if missing:
            raise LayerError(f"placement needs the layer(s) {', '.join(missing)}; build them first")
        return cls(
            **{name: layers[name].frame for name in needed},
            elevation=elevation,
            slope=slope,
            analysis=plan.analysis,
            reservoir_level_m=flood_reference_level_m(plan),
            near_corridor_m=near_corridor_m,
            min_spacing_m=min_spacing_m,
            city_boundary=layers["city_boundary"].frame if "city_boundary" in layers else None,
        )

    @property
    def flood_level_m(self) -> float:
        """Lowest elevation an object may stand at: the reservoir's maximum level plus freeboard, metres."""
        return self.reservoir_level_m + self.analysis.flood_freeboard_m

    @cached_property
    def district_geometries(self) -> Mapping[str, shapely.Geometry]:
        """One (multi)polygon per district id."""
        return MappingProxyType({
            str(key): shapely.union_all(group.geometry.to_numpy())
            for key, group in self.districts.groupby("id", sort=True)
        })

    @cached_property
    def city(self) -> shapely.Geometry:
        """The city boundary; without one, the union of the districts, or the DEM extent."""
        if self.city_boundary is not None and len(self.city_boundary):
            return shapely.union_all(self.city_boundary.geometry.to_numpy())
        if len(self.district_geometries):
            return shapely.union_all(list(self.district_geometries.values()))
        return shapely.box(*self.elevation.bounds)

    @cached_property
    def reservoir_geometry(self) -> shapely.Geometry:
        """The reservoir as one geometry."""
        return shapely.union_all(self.reservoir.geometry.to_numpy())

    @cached_property
    def strips(self) -> tuple[np.ndarray, tuple[str, ...]]:
        """The strip polygons (prepared) and the name of each one's water body."""
        geometries = self.water_protection_strip.geometry.to_numpy()
        column = "water_body" if "water_body" in self.water_protection_strip.columns else "id"
        names = tuple(str(name) for name in self.water_protection_strip[column])
        shapely.prepare(geometries)
        return geometries, names

    def area_of(self, district: str | None) -> shapely.Geometry:
        """The search area of a row: its district, or the city."""
        if not district:
            return self.city
        try:
            return self.district_geometries[district]
        except KeyError:
            known = ", ".join(self.district_geometries) or "none"
            raise LayerError(f"districts layer has no district {district!r} (districts: {known})") from None

    def place_point(self, place_id: str) -> shapely.Point:
        """The point of a place (``places`` layer)."""
        rows = self.places.geometry[self.places["id"] == place_id]
        if rows.empty:
            raise LayerError(f"places layer has no place {place_id!r}")
        return rows.iloc[0]

    def corridor_line(self, corridor_id: str) -> shapely.Geometry:
        """The line of a corridor, its rows merged (``corridors`` layer)."""
        rows = self.corridors.geometry[self.corridors["id"] == corridor_id]
        if rows.empty:
            known = ", ".join(map(str, self.corridors["id"])) or "none"
            raise LayerError(f"corridors layer has no corridor {corridor_id!r} (corridors: {known})")
        return shapely.line_merge(shapely.union_all(rows.to_numpy()))


@dataclass(frozen=True)
class Target:
    """What a rule needs to know of the object it checks.

    Attributes
    ----------
    id : str
    district : str or None
        The district the object must lie in (``in_district``).
    via : tuple of str
        The row's ``via`` tokens; ``corridor:<id>`` tokens pick the corridors
        ``near_corridor`` measures to (all corridors when there are none).
    """

    id: str
    district: str | None = None
    via: tuple[str, ...] = ()

    @property
    def corridors(self) -> tuple[str, ...]:
        """Ids of the corridors named in ``via``."""
        return tuple(token.split(":", 1)[1] for token in self.via if token.startswith("corridor:"))
