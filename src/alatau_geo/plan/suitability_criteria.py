"""Suitability criteria and hard constraints as plan parameters: a source layer and a transform.

A :class:`Criterion` scores land from 0 (worst) to 1 (best); its source is a
raster (slope, height above drainage, elevation) or a vector layer (corridors,
settlements, infrastructure), whose distance from each cell is measured in
metres. The transform maps that value to a score:

- :class:`Linear`: 1 at ``one_at``, 0 at ``zero_at``, linear between and flat
  beyond (a fuzzy linear membership; decreasing when ``zero_at > one_at``),
  e.g. slope 0 deg -> 1, 15 deg -> 0; distance 500 m -> 1, 10 km -> 0;
  height above drainage 2 m -> 0, 10 m -> 1.
- :class:`Aspect`: from an elevation raster, how much the ground faces a
  preferred direction (south by default), weighted by how steep it is.

A :class:`Constraint` excludes land outright: what a vector layer's features
touch (optionally buffered), or where a raster exceeds / falls below a limit.

These are the frozen, validated entries of the plan's ``[suitability.criteria]``
and ``[suitability.constraints]`` tables; evaluating them on a grid is
:mod:`alatau_geo.analysis.criteria`'s job.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from alatau_geo.core.errors import PlanError


@dataclass(frozen=True)
class Linear:
    """Linear score between two values of the source, flat beyond them.

    Parameters
    ----------
    one_at : float
        Source value (or distance in metres) scoring 1.
    zero_at : float
        Source value (or distance in metres) scoring 0; must differ from `one_at`.

    Examples
    --------
    >>> Linear(one_at=0.0, zero_at=10.0).score(np.array([0.0, 5.0, 20.0, np.nan], dtype=np.float32)).tolist()
    [1.0, 0.5, 0.0, nan]
    """

    one_at: float
    zero_at: float

    def score(self, values: np.ndarray) -> np.ndarray:
        """Scores of `values` (float32, modified in place and returned; NaN stays NaN, inf scores 0 or 1)."""
        values = np.asarray(values, dtype=np.float32)
        values -= np.float32(self.zero_at)
        values *= np.float32(1.0 / (self.one_at - self.zero_at))
        np.clip(values, 0.0, 1.0, out=values)
        return values

    def describe(self) -> str:
        """One line for provenance records."""
        return f"linear: 1 at {self.one_at:g}, 0 at {self.zero_at:g}"


@dataclass(frozen=True)
class Aspect:
    """Score by the direction the ground faces, from an elevation raster.

    ``score = 0.5 + 0.5 * cos(aspect - facing_deg) * min(slope / full_effect_slope_deg, 1)``:
    flat ground scores 0.5, a slope of at least `full_effect_slope_deg`
    facing `facing_deg` scores 1 and one facing away scores 0. Gradients are
    central differences on the grid.

    Parameters
    ----------
    facing_deg : float, default 180
        Preferred direction, degrees clockwise from north (180 = south,
        the sunny side in the northern hemisphere).
    full_effect_slope_deg : float, default 10
        Slope at which aspect has its full effect, degrees.
    """

    facing_deg: float = 180.0
    full_effect_slope_deg: float = 10.0

    def score_elevation(self, elevation: np.ndarray, cell_size_m: float) -> np.ndarray:
        """Scores from elevation in metres on square cells of `cell_size_m` (float32)."""
        z = np.asarray(elevation, dtype=np.float32)
        dz_drow, dz_dcol = np.gradient(z, np.float32(cell_size_m))
        east, north = -dz_dcol, dz_drow  # downslope components; rows run southwards
        del dz_drow, dz_dcol
        gradient = np.hypot(east, north)
        facing = math.radians(self.facing_deg)
        with np.errstate(invalid="ignore", divide="ignore"):
            toward = (east * np.float32(math.sin(facing)) + north * np.float32(math.cos(facing))) / gradient
        del east, north
        toward[gradient == 0] = 0.0
        effect = np.degrees(np.arctan(gradient)) / np.float32(self.full_effect_slope_deg)
        np.minimum(effect, 1.0, out=effect)
        toward *= effect
        toward *= 0.5
        toward += 0.5
        return toward.astype(np.float32, copy=False)

    def describe(self) -> str:
        """One line for provenance records."""
        return f"aspect: facing {self.facing_deg:g} deg, full effect from {self.full_effect_slope_deg:g} deg"


@dataclass(frozen=True)
class Criterion:
    """A weighted criterion: what it measures, from which layer, and how it scores.

    Parameters
    ----------
    name : str
        Plan key (``suitability.criteria.<name>``), lower case.
    source : str
        Name of the source layer or raster (e.g. ``"slope"``, ``"corridors"``).
    transform : Linear or Aspect
    kinds : tuple of str, optional
        For a vector source: keep only features whose ``kind`` is listed.
    """

    name: str
    source: str
    transform: Linear | Aspect
    kinds: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        entry = f"suitability.criteria.{self.name}"
        _check_name(self.name, "suitability.criteria")
        if not self.source:
            raise PlanError(f"'{entry}.source' must name a layer or raster")
        t = self.transform
        if isinstance(t, Linear):
            for key in ("one_at", "zero_at"):
                if not math.isfinite(getattr(t, key)):
                    raise PlanError(f"'{entry}.{key}' must be a finite number, got {getattr(t, key)!r}")
            if t.one_at == t.zero_at:
                raise PlanError(f"'{entry}.zero_at' must differ from '{entry}.one_at' (both {t.one_at:g})")
        elif isinstance(t, Aspect):
            if not 0 <= t.facing_deg <= 360:
                raise PlanError(f"'{entry}.facing_deg' must lie between 0 and 360, got {t.facing_deg}")
            if not 0 < t.full_effect_slope_deg <= 90:
                raise PlanError(f"'{entry}.full_effect_slope_deg' must lie in (0, 90], got {t.full_effect_slope_deg}")
        else:
            raise PlanError(f"'{entry}.transform' must be 'linear' or 'aspect'")


@dataclass(frozen=True)
class Constraint:
    """A hard constraint: cells it covers are unsuitable whatever their score.

    Give `above` and/or `below` for a raster source, `buffer_m` (optional)
    for a vector source.

    Parameters
    ----------
    name : str
        Plan key (``suitability.constraints.<name>``).
    source : str
        Name of the source layer or raster.
    above : float, optional
        Raster: exclude cells whose value (the cell's maximum) exceeds this.
    below : float, optional
        Raster: exclude cells whose value (the cell's minimum) is below this.
    buffer_m : float, default 0
        Vector: exclude every cell within this distance of a feature, metres;
        0 excludes the cells the features touch.
    kinds : tuple of str, optional
        Vector: keep only features whose ``kind`` is listed.
    """

    name: str
    source: str
    above: float | None = None
    below: float | None = None
    buffer_m: float = 0.0
    kinds: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        entry = f"suitability.constraints.{self.name}"
        _check_name(self.name, "suitability.constraints")
        if not self.source:
            raise PlanError(f"'{entry}.source' must name a layer or raster")
        if not (math.isfinite(self.buffer_m) and self.buffer_m >= 0):
            raise PlanError(f"'{entry}.buffer_m' must be at least 0, got {self.buffer_m}")
        if self.above is not None and self.below is not None and self.below > self.above:
            # below > above would exclude everything: almost surely a typo.
            raise PlanError(f"'{entry}.below' ({self.below:g}) must not exceed '{entry}.above' ({self.above:g})")


def _check_name(name: str, table: str) -> None:
    if not name or not all(c.islower() or c.isdigit() or c == "_" for c in name):
        raise PlanError(f"'{table}.{name}': use lower-case letters, digits and underscores in the name")
