"""The plan's flood hazards as masks, layers with provenance and hectares per district.

:func:`flood_hazards` turns the hazard rasters (:class:`HazardRasters`: height
above nearest drainage and the named river each cell drains to, on the flow
grid; the working-grid DEM and the reservoir) and the plan's
``[suitability.hazards]`` into :class:`Hazards`: the floodplain of the named
rivers for the plan's depth, and the reservoir's shore bands at its normal and
maximum level (:mod:`alatau_geo.analysis.hazards` does the hydrology).
:meth:`Hazards.layers` gives the ``floodplain`` and ``reservoir_bands`` layers,
:meth:`Hazards.area_by_zone` their hectares per district, and
:meth:`Hazards.sources` the rasters the suitability criteria and constraints
name (``hand``, ``floodplain``, ``reservoir_below_max``).

Without the height above drainage (a workspace whose layers were never built
from the SRTM tiles) there is no floodplain: :attr:`Hazards.floodplain` is
None and the suitability leaves out what needs it. Nothing here reads or
writes files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import ndimage

from alatau_geo.analysis import hazards
from alatau_geo.analysis.grid import Grid
from alatau_geo.analysis.zonal import area_by_zone, code_polygons
from alatau_geo.core.errors import PlanError
from alatau_geo.core.layers import Layer, Provenance
from alatau_geo.core.raster import Raster
from alatau_geo.plan.suitability_params import HazardParams

HAZARD_LAYERS = ("floodplain", "reservoir_bands")
"""The hazard layers :meth:`Hazards.layers` gives."""
HAND_SOURCES = ("hand", "floodplain")
"""Suitability sources that need the height above drainage."""
BAND_LABELS: Mapping[int, str] = {1: "normal", 2: "maximum"}
"""Codes of the reservoir bands: land between the SRTM surface and the normal level (inside the reservoir
layer: its seasonal shore), and between the normal and the maximum level."""

_SRTM = "NASA SRTM3 (3 arc-second, public domain)"


@dataclass(frozen=True)
class HazardRasters:
    """What the hazards are computed from.

    Attributes
    ----------
    elevation : Raster
        The working-grid DEM (UTM 43N, whole metres), as written beside the layers.
    reservoir : numpy.ndarray of bool
        The reservoir's flat SRTM water surface on the DEM's grid (the bands are measured from it).
    hand : Raster or None
        Height above nearest drainage, metres, on the flow grid (WGS84)
        clipped to the study area; None when it was never built.
    drains : numpy.ndarray of uint8 or None
        On `hand`'s grid: the code of the named river each cell first drains
        to (:func:`alatau_geo.analysis.hazards.drain_labels`; 0 another
        drain, 255 none).
    river_codes : Mapping[str, int]
        River id to its code in `drains`.
    stream_threshold_km2 : float
        Upstream area above which a cell is a drain (``hydrology.stream_threshold_km2``).
    reservoir_surface_m : float
        The reservoir's flat surface in the DEM, metres (``hydrology.srtm_surface_m``).
    reservoir_level_m : float
        The reservoir's normal level, metres (``hydrology.reservoir_level_m``, the reservoir layer's level).
    """

    elevation: Raster
    reservoir: np.ndarray
    hand: Raster | None = None
    drains: np.ndarray | None = None
    river_codes: Mapping[str, int] = field(default_factory=dict)
    stream_threshold_km2: float = 0.0
    reservoir_surface_m: float = float("nan")
    reservoir_level_m: float = float("nan")

    def __post_init__(self) -> None:
        if self.reservoir.shape != self.elevation.shape:
            raise ValueError(f"reservoir mask {self.reservoir.shape} is not on the DEM grid {self.elevation.shape}")
        if (self.hand is None) != (self.drains is None):
            raise ValueError("give both the height above drainage and the drain labels, or neither")
        if self.hand is not None and self.drains is not None and self.drains.shape != self.hand.shape:
            raise ValueError(f"drain labels {self.drains.shape} are not on the HAND grid {self.hand.shape}")


@dataclass(frozen=True)
class Hazards:
    """The plan's flood hazards (see :func:`flood_hazards`).

    Attributes
    ----------
    rasters : HazardRasters
    params : HazardParams
    floodplain : numpy.ndarray of uint8 or None
        On the HAND grid: the code of the flooding river (see
        ``rasters.river_codes``) where the land lies in a floodplain, 0
        elsewhere; None without the height above drainage.
    bands : hazards.ReservoirBands
        On the DEM's grid.
    drawn : tuple of Layer, optional
        The layers :meth:`layers` gives, when they were drawn before (a
        build reads them back from its cache with the rest).
    """

    rasters: HazardRasters
    params: HazardParams
    floodplain: np.ndarray | None
    bands: hazards.ReservoirBands
    drawn: tuple[Layer, ...] | None = None

    @property
    def has_hand(self) -> bool:
        """Whether the height above drainage (and so the floodplain) is there."""
        return self.rasters.hand is not None

    def band_codes(self) -> np.ndarray:
        """The reservoir bands coded as :data:`BAND_LABELS` (uint8, 0 elsewhere), on the DEM's grid."""
        codes = np.zeros(self.rasters.elevation.shape, dtype=np.uint8)
        codes[self.bands.normal] = 1
        codes[self.bands.maximum] = 2
        return codes

    def sources(self) -> dict[str, Raster]:
        """Rasters the suitability may name: ``reservoir_below_max``, and ``hand``, ``floodplain`` when built."""
        found = {"reservoir_below_max": hazards.as_raster(self.bands.below_maximum, self.rasters.elevation)}
        if self.rasters.hand is not None and self.floodplain is not None:
            found["hand"] = self.rasters.hand
            found["floodplain"] = hazards.as_raster(self.floodplain > 0, self.rasters.hand)
        return found

    def layers(self) -> list[Layer]:
        """The ``floodplain`` (when built) and ``reservoir_bands`` layers, working CRS, hectares per polygon."""
        if self.drawn is not None:
            return list(self.drawn)
        found = []
        if self.rasters.hand is not None and self.floodplain is not None:
            found.append(_floodplain_layer(self, self.rasters.hand, self.floodplain))
        found.append(_bands_layer(self))
        return found

    def area_by_zone(self, zones: gpd.GeoDataFrame, *, id_column: str = "id") -> pd.DataFrame:
        """Hectares of each hazard in each zone.

        Columns ``floodplain_ha`` (NaN without the height above drainage),
        ``reservoir_normal_ha`` and ``reservoir_max_ha`` (the two shore
        bands); the index holds the zone ids (named ``zone``). A cell counts
        in a zone when its centre lies inside (true cell areas).
        """
        names = {1: "reservoir_normal_ha", 2: "reservoir_max_ha"}
        table = area_by_zone(self.band_codes(), Grid.of(self.rasters.elevation), zones, labels=names,
                             id_column=id_column)
        if self.rasters.hand is not None and self.floodplain is not None:
            plain = area_by_zone(self.floodplain > 0, Grid.of(self.rasters.hand), zones,
                                 labels={1: "floodplain_ha"}, id_column=id_column)
        else:
            plain = pd.DataFrame({"floodplain_ha": np.nan}, index=table.index)
        return plain.join(table)


def whole_metres(elevation: Raster) -> Raster:
    """The DEM as it is written beside the layers (whole metres), so builds with and without tiles agree."""
    return Raster(np.rint(elevation.data).astype(np.float32), elevation.transform, elevation.crs)


def dem_rasters(elevation: Raster, *, surface_m: float, level_m: float,
                stream_threshold_km2: float = 0.0) -> HazardRasters:
    """Hazard rasters from the working-grid DEM alone: the reservoir bands, no height above drainage.

    The reservoir's flat surface is the DEM's largest 4-connected region at
    `surface_m` (``hydrology.srtm_surface_m``; the DEM is taken in whole
    metres); a DEM without a cell at that level has no reservoir, and no band.

    Parameters
    ----------
    elevation : Raster
        The working-grid DEM, metres.
    surface_m, level_m : float
        The reservoir's surface in the DEM and its normal level (``hydrology.reservoir_level_m``), metres.
    stream_threshold_km2 : float
        ``hydrology.stream_threshold_km2``, recorded for provenance.
    """
    dem = whole_metres(elevation)
    at_level = dem.data == surface_m
    labels, count = ndimage.label(at_level)
    if count:
        sizes = np.bincount(labels.ravel())
        sizes[0] = 0
        reservoir = labels == int(np.argmax(sizes))
    else:
        reservoir = np.zeros(dem.shape, dtype=bool)
    return HazardRasters(elevation=dem, reservoir=reservoir, stream_threshold_km2=stream_threshold_km2,
                         reservoir_surface_m=float(surface_m), reservoir_level_m=float(level_m))


def flood_hazards(rasters: HazardRasters, params: HazardParams) -> Hazards:
    """The floodplain of the plan's rivers and the reservoir's shore bands.

    Parameters
    ----------
    rasters : HazardRasters
    params : HazardParams
        ``flood_depth_m``, ``flood_rivers``, the reservoir's maximum level (its
        normal level is ``rasters.reservoir_level_m``).

    Returns
    -------
    Hazards

    Raises
    ------
    PlanError
        If ``suitability.hazards.flood_rivers`` names a river that was not traced.
    """
    bands = hazards.reservoir_bands(rasters.elevation, rasters.reservoir,
                                    normal_level_m=rasters.reservoir_level_m,
                                    max_level_m=params.reservoir_max_level_m)
    plain = None
    if rasters.hand is not None and rasters.drains is not None:
        missing = [river for river in params.flood_rivers if river not in rasters.river_codes]
        if missing:
            traced = ", ".join(sorted(rasters.river_codes)) or "none"
            raise PlanError(f"'suitability.hazards.flood_rivers' names {', '.join(missing)}, which no traced "
                            f"river is (traced: {traced})")
        codes = [rasters.river_codes[river] for river in params.flood_rivers]
        draining = np.isin(rasters.drains, codes)
        flooded = hazards.floodplain(rasters.hand, depth_m=params.flood_depth_m, draining=draining)
        plain = np.where(flooded, rasters.drains, 0).astype(np.uint8)
    return Hazards(rasters=rasters, params=params, floodplain=plain, bands=bands)


def _floodplain_layer(found: Hazards, hand: Raster, plain: np.ndarray) -> Layer:
    params = found.params
    names = {code: river for river, code in found.rasters.river_codes.items() if river in params.flood_rivers}
    frame = code_polygons(plain, Grid.of(hand), labels=names)
    frame = frame.rename(columns={"label": "river"})
    frame.insert(3, "depth_m", params.flood_depth_m)
    provenance = Provenance(
        source=f"height above nearest drainage from the D8 flow routing (pyflwdir) of {_SRTM}; rivers layer",
        method="cells whose height above their nearest drain (HAND, Nobre et al. 2016) is at most the flood depth "
        "and whose D8 path first meets one of the named rivers; a planning-scale approximation of inundation, not "
        "a hydraulic model; 4-connected regions of 3-arc-second cells",
        parameters={"flood_depth_m": params.flood_depth_m, "flood_rivers": list(params.flood_rivers),
                    "stream_threshold_km2": found.rasters.stream_threshold_km2},
        quality="approximate",
    )
    return Layer("floodplain", frame, provenance, title=f"Floodplain of the named rivers ({params.flood_depth_m:g} m)",
                 disjoint=True)


def _bands_layer(found: Hazards) -> Layer:
    params = found.params
    frame = code_polygons(found.band_codes(), Grid.of(found.rasters.elevation), labels=BAND_LABELS)
    normal = found.rasters.reservoir_level_m
    frame.insert(3, "from_m", frame["code"].map({1: found.rasters.reservoir_surface_m, 2: normal}))
    frame.insert(4, "level_m", frame["code"].map({1: normal, 2: params.reservoir_max_level_m}))
    provenance = Provenance(
        source=f"working-grid DEM ({_SRTM}, whole metres, UTM 43N); reservoir layer; levels from the plan "
        "(approximate, published descriptions of the Kapchagay reservoir)",
        method="land at or below the normal and the maximum operating level, 8-connected to the reservoir's "
        "flat SRTM surface (cut-off depressions left out); 'normal': from the SRTM surface up to the normal level "
        "(the reservoir layer's seasonal shore), 'maximum': between the normal and the maximum level",
        parameters={"srtm_surface_m": found.rasters.reservoir_surface_m, "reservoir_level_m": normal,
                    "reservoir_max_level_m": params.reservoir_max_level_m},
        quality="approximate",
    )
    return Layer("reservoir_bands", frame, provenance, title="Reservoir shore bands (normal and maximum level)",
                 disjoint=True)
