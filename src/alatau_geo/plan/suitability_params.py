"""The plan's ``[suitability]`` section as frozen, validated parameters.

The proposed TOML is ``docs/plan_sections/suitability.toml``;
:meth:`SuitabilityParams.from_mapping` reads that table. Every invalid entry
raises a one-line :class:`~alatau_geo.core.errors.PlanError` naming the plan file
and the entry, e.g. ``plan.toml: 'suitability.weights.slope' must be at least
0, got -1``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import partial
from types import MappingProxyType
from typing import Any

import pandas as pd

from alatau_geo.core.errors import PlanError
from alatau_geo.plan.ahp import ACCEPTABLE_CR, AhpResult, ahp_weights
from alatau_geo.plan.suitability_criteria import Aspect, Constraint, Criterion, Linear


@dataclass(frozen=True)
class ClassThresholds:
    """Lowest score of each suitability class (score 0..1); lower scores are unsuitable.

    Examples
    --------
    >>> ClassThresholds(low_min=0.6, medium_min=0.5, high_min=0.75)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    alatau_geo.core.errors.PlanError: 'suitability.classes' thresholds must rise: ... got 0.6, 0.5, 0.75
    """

    low_min: float = 0.25
    medium_min: float = 0.5
    high_min: float = 0.75

    def __post_init__(self) -> None:
        values = (self.low_min, self.medium_min, self.high_min)
        if not (0 < self.low_min < self.medium_min < self.high_min <= 1):
            raise PlanError("'suitability.classes' thresholds must rise: low_min < medium_min < high_min <= 1, "
                            f"got {', '.join(f'{v:g}' for v in values)}")

    @property
    def bins(self) -> tuple[float, float, float]:
        """(low_min, medium_min, high_min)."""
        return (self.low_min, self.medium_min, self.high_min)


@dataclass(frozen=True)
class HazardParams:
    """Flood depth and the reservoir's maximum level of the hazard bands.

    The reservoir's normal level is ``hydrology.reservoir_level_m``, the level
    its layer is drawn at (one definition); the plan checks that the maximum
    level is not below it.

    Attributes
    ----------
    flood_depth_m : float
        Water depth above the nearest drain that floods land, metres (assumed).
    flood_rivers : tuple of str
        Named rivers (``rivers`` layer ids) whose floodplains are hazards.
    reservoir_max_level_m : float
        Maximum operating level of the Kapchagay reservoir, metres above sea
        level (approximate, from published descriptions; see the default plan
        for sources).
    """

    flood_depth_m: float = 2.0
    flood_rivers: tuple[str, ...] = ()
    reservoir_max_level_m: float = 485.0

    def __post_init__(self) -> None:
        _positive(self.flood_depth_m, "suitability.hazards.flood_depth_m")
        if not math.isfinite(self.reservoir_max_level_m):
            raise PlanError("'suitability.hazards.reservoir_max_level_m' must be a finite number, "
                            f"got {self.reservoir_max_level_m!r}")


@dataclass(frozen=True)
class AhpSpec:
    """Pairwise comparisons that give the weights instead of ``suitability.weights``."""

    criteria: tuple[str, ...]
    matrix: tuple[tuple[float, ...], ...]
    max_consistency_ratio: float = ACCEPTABLE_CR

    def result(self) -> AhpResult:
        """Weights and consistency ratio; PlanError if the matrix is invalid or too inconsistent."""
        try:
            result = ahp_weights(self.matrix, self.criteria)
        except ValueError as error:
            raise PlanError(f"'suitability.ahp.matrix': {error}") from None
        if result.consistency_ratio > self.max_consistency_ratio:
            raise PlanError(
                f"'suitability.ahp.matrix' is inconsistent: consistency ratio {result.consistency_ratio:.3f} exceeds "
                f"{self.max_consistency_ratio:g}; revise the comparisons that contradict each other"
            )
        return result


@dataclass(frozen=True)
class SuitabilityParams:
    """Every parameter of the suitability surface, its classes and its sensitivity test.

    Attributes
    ----------
    criteria : tuple of Criterion
    constraints : tuple of Constraint
    weights : Mapping[str, float]
        Relative weight of each criterion (>= 0, normalised to sum to 1).
    weighting : {'weights', 'ahp'}
        Which of `weights` and `ahp` gives the weights.
    ahp : AhpSpec, optional
    cell_size_m : float
        Cell size of the suitability grid, metres (UTM 43N).
    classes : ClassThresholds
    hazards : HazardParams
    sensitivity_change_pct : float
        How far each weight is moved up and down in the sensitivity test, percent.
    area_layers : tuple of str
        Layers whose union is the analysis area (cells whose centre lies
        outside get no class); default the city boundary and the SEZ.
    """

    criteria: tuple[Criterion, ...]
    constraints: tuple[Constraint, ...] = ()
    weights: Mapping[str, float] = field(default_factory=dict)
    weighting: str = "weights"
    ahp: AhpSpec | None = None
    cell_size_m: float = 100.0
    classes: ClassThresholds = field(default_factory=ClassThresholds)
    hazards: HazardParams = field(default_factory=HazardParams)
    sensitivity_change_pct: float = 20.0
    area_layers: tuple[str, ...] = ("city_boundary", "sez")

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", MappingProxyType(dict(self.weights)))
        if not self.area_layers:
            raise PlanError("'suitability.area_layers' must name at least one layer, e.g. ['city_boundary', 'sez']")
        _positive(self.cell_size_m, "suitability.cell_size_m")
        if not 0 < self.sensitivity_change_pct < 100:
            raise PlanError(f"'suitability.sensitivity_change_pct' must lie between 0 and 100, "
                            f"got {self.sensitivity_change_pct}")
        names = [c.name for c in self.criteria]
        if not names:
            raise PlanError("'suitability.criteria' must define at least one criterion")
        for kind, items in (("criteria", names), ("constraints", [c.name for c in self.constraints])):
            duplicates = sorted({n for n in items if items.count(n) > 1})
            if duplicates:
                raise PlanError(f"'suitability.{kind}' defines {', '.join(duplicates)} twice")
        if self.weighting not in ("weights", "ahp"):
            raise PlanError(f"'suitability.weighting' must be 'weights' or 'ahp', got {self.weighting!r}")
        self.normalised_weights()

    def __reduce__(self) -> tuple[Callable[[], SuitabilityParams], tuple[()]]:
        """Pickled as the arguments that make the parameters again (a read-only view of a dict does not pickle).

        A build hands its suitability to the process that draws the maps.
        """
        arguments = {item.name: getattr(self, item.name) for item in fields(self)}
        return partial(type(self), **{**arguments, "weights": dict(self.weights)}), ()

    def normalised_weights(self) -> pd.Series:
        """Weight of each criterion, summing to 1, indexed by criterion name (plan order).

        Raises
        ------
        PlanError
            For a missing, unknown or negative weight, all weights zero, or an
            invalid or inconsistent AHP matrix.
        """
        names = [c.name for c in self.criteria]
        raw = self._ahp_weights(names) if self.weighting == "ahp" else self._plain_weights(names)
        total = sum(raw.values())
        if total <= 0:
            raise PlanError(f"'suitability.{self.weighting}' must give at least one criterion a weight above 0")
        return pd.Series({n: raw[n] / total for n in names}, name="weight").rename_axis("criterion")

    def _plain_weights(self, names: list[str]) -> dict[str, float]:
        unknown = sorted(set(self.weights) - set(names))
        if unknown:
            raise PlanError(f"'suitability.weights.{unknown[0]}': no criterion of that name "
                            f"(criteria: {', '.join(names)})")
        missing = [n for n in names if n not in self.weights]
        if missing:
            raise PlanError(f"'suitability.weights' must give a weight for {', '.join(missing)} (0 leaves it out)")
        for name in names:
            value = self.weights[name]
            if not (math.isfinite(value) and value >= 0):
                raise PlanError(f"'suitability.weights.{name}' must be at least 0, got {value:g}")
        return {n: float(self.weights[n]) for n in names}

    def _ahp_weights(self, names: list[str]) -> dict[str, float]:
        if self.ahp is None:
            raise PlanError("'suitability.weighting' is 'ahp' but 'suitability.ahp' is missing")
        unknown = [n for n in self.ahp.criteria if n not in names]
        if unknown:
            raise PlanError(f"'suitability.ahp.criteria' names {', '.join(unknown)}, not among the criteria "
                            f"({', '.join(names)})")
        weights = self.ahp.result().weights
        return {n: float(weights.get(n, 0.0)) for n in names}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "<plan>") -> SuitabilityParams:
        """Parameters from a plan's ``[suitability]`` table.

        Raises
        ------
        PlanError
            For an unknown key or a value of the wrong type or range; the
            message starts with `source` and names the entry.
        """
        try:
            return _parse(data)
        except PlanError as error:
            raise PlanError(f"{source}: {error}") from None


_TOP_KEYS = {f.name for f in fields(SuitabilityParams)}
_CRITERION_KEYS = {"source", "transform", "one_at", "zero_at", "facing_deg", "full_effect_slope_deg", "kinds"}
_CONSTRAINT_KEYS = {"source", "above", "below", "buffer_m", "kinds"}


def _parse(data: Mapping[str, Any]) -> SuitabilityParams:
    _known(data, _TOP_KEYS, "suitability")
    values: dict[str, Any] = {
        "criteria": tuple(_criterion(name, spec) for name, spec in _table(data, "criteria").items()),
        "constraints": tuple(_constraint(name, spec) for name, spec in _table(data, "constraints", {}).items()),
        "weights": {k: _number(v, f"suitability.weights.{k}") for k, v in _table(data, "weights", {}).items()},
    }
    for key in ("cell_size_m", "sensitivity_change_pct"):
        if key in data:
            values[key] = _number(data[key], f"suitability.{key}")
    if "weighting" in data:
        values["weighting"] = data["weighting"]
    if "area_layers" in data:
        values["area_layers"] = _texts(data["area_layers"], "suitability.area_layers")
    if "classes" in data:
        classes = _table(data, "classes")
        _known(classes, {"low_min", "medium_min", "high_min"}, "suitability.classes")
        values["classes"] = ClassThresholds(**{k: _number(v, f"suitability.classes.{k}") for k, v in classes.items()})
    if "hazards" in data:
        values["hazards"] = _hazards(_table(data, "hazards"))
    if "ahp" in data:
        values["ahp"] = _ahp(_table(data, "ahp"))
    return SuitabilityParams(**values)


def _criterion(name: str, spec: Any) -> Criterion:
    entry = f"suitability.criteria.{name}"
    spec = _as_table(spec, entry)
    _known(spec, _CRITERION_KEYS, entry)
    kind = spec.get("transform", "linear")
    if kind == "linear":
        for key in ("one_at", "zero_at"):
            if key not in spec:
                raise PlanError(f"'{entry}.{key}' is missing (the linear transform needs one_at and zero_at)")
        transform: Linear | Aspect = Linear(_number(spec["one_at"], f"{entry}.one_at"),
                                            _number(spec["zero_at"], f"{entry}.zero_at"))
    elif kind == "aspect":
        transform = Aspect(**{k: _number(spec[k], f"{entry}.{k}") for k in ("facing_deg", "full_effect_slope_deg")
                              if k in spec})
    else:
        raise PlanError(f"'{entry}.transform' must be 'linear' or 'aspect', got {kind!r}")
    return Criterion(name=name, source=_text(spec.get("source"), f"{entry}.source"), transform=transform,
                     kinds=_texts(spec.get("kinds", []), f"{entry}.kinds"))


def _constraint(name: str, spec: Any) -> Constraint:
    entry = f"suitability.constraints.{name}"
    spec = _as_table(spec, entry)
    _known(spec, _CONSTRAINT_KEYS, entry)
    limits = {k: _number(spec[k], f"{entry}.{k}") for k in ("above", "below", "buffer_m") if k in spec}
    return Constraint(name=name, source=_text(spec.get("source"), f"{entry}.source"),
                      kinds=_texts(spec.get("kinds", []), f"{entry}.kinds"), **limits)


def _hazards(spec: Mapping[str, Any]) -> HazardParams:
    _known(spec, {f.name for f in fields(HazardParams)}, "suitability.hazards")
    values: dict[str, Any] = {k: _number(v, f"suitability.hazards.{k}") for k, v in spec.items() if k != "flood_rivers"}
    if "flood_rivers" in spec:
        values["flood_rivers"] = _texts(spec["flood_rivers"], "suitability.hazards.flood_rivers")
    return HazardParams(**values)


def _ahp(spec: Mapping[str, Any]) -> AhpSpec:
    _known(spec, {"criteria", "matrix", "max_consistency_ratio"}, "suitability.ahp")
    matrix = spec.get("matrix")
    if not isinstance(matrix, list) or not all(isinstance(row, list) for row in matrix):
        raise PlanError("'suitability.ahp.matrix' must be a list of rows (lists of numbers)")
    rows = tuple(tuple(_number(v, "suitability.ahp.matrix") for v in row) for row in matrix)
    values: dict[str, Any] = {"criteria": _texts(spec.get("criteria"), "suitability.ahp.criteria"), "matrix": rows}
    if "max_consistency_ratio" in spec:
        entry = "suitability.ahp.max_consistency_ratio"
        values["max_consistency_ratio"] = _number(spec["max_consistency_ratio"], entry)
    return AhpSpec(**values)


def _known(data: Mapping[str, Any], keys: set[str], entry: str) -> None:
    unknown = sorted(set(data) - keys)
    if unknown:
        raise PlanError(f"unknown entry '{entry}.{unknown[0]}' (known: {', '.join(sorted(keys))})")


def _table(data: Mapping[str, Any], key: str, default: Any = None) -> Mapping[str, Any]:
    if key not in data:
        if default is None:
            raise PlanError(f"'suitability.{key}' is missing")
        return default
    return _as_table(data[key], f"suitability.{key}")


def _as_table(value: Any, entry: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PlanError(f"'{entry}' must be a table")
    return value


def _number(value: Any, entry: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PlanError(f"'{entry}' must be a number, got {value!r}")
    return float(value)


def _text(value: Any, entry: str) -> str:
    if not isinstance(value, str) or not value:
        raise PlanError(f"'{entry}' must be a non-empty string, got {value!r}")
    return value


def _texts(value: Any, entry: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise PlanError(f"'{entry}' must be a list of strings, got {value!r}")
    return tuple(value)


def _positive(value: float, entry: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise PlanError(f"'{entry}' must be greater than 0, got {value!r}")
