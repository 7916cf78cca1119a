"""Zones of the plan: neighbouring settlements, the four districts, the city boundary and the SEZ.

Each zone is declared in the plan by a construction rule (see
:mod:`alatau_geo.plan.rules`). Where a published area exists, the rule's one free
parameter (``solve``) is found by regula falsi (bracketed, as bisection
is, in about half its steps) so the zone's area, measured in the equal-area
CRS, matches within 0.5 %; the residual is reported.

Settlements come first: the built-up extents of the places the plan declares
outside Alatau (Almaty's city territory, the town of Konaev, villages that
stay in their districts), each tied to its place in the gazetteer. No
district, city boundary or SEZ holds any part of them. Districts are built in
plan order; each loses what earlier districts and the settlements hold, the
water, and parts smaller than ``analysis.min_part_ha`` (slivers), so districts
never overlap. The city boundary is built next and must contain the districts
(its rule normally includes ``districts:*``); the special economic zone last.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from alatau_geo.core.crs import WORKING_CRS, area_ha
from alatau_geo.core.errors import PlanError
from alatau_geo.core.layers import Layer, LayerSet, Provenance
from alatau_geo.core.stage_store import geometry_digest
from alatau_geo.plan import rules
from alatau_geo.reference.water import polygonal

TOLERANCE_PCT = 0.5
_TARGET_PCT = 0.05
_MAX_ITERATIONS = 60
ZONE_LAYERS = ("settlements", "districts", "city_boundary", "sez")


@dataclass(frozen=True)
class ZoneSpec:
    """One zone as the plan declares it.

    Attributes
    ----------
    layer : {'settlements', 'districts', 'city_boundary', 'sez'}
    id, name_en, name_kk, name_ru, role : str
    rule : rules.Rule
    published_ha : float or None
        Published area to calibrate to.
    published_source : str
    solve : str or None
        Path of the free parameter, e.g. ``rule.buffer_m``.
    solve_range : (float, float)
        Bisection bounds of the free parameter, metres.
    targets : mapping
        Other published figures (``residents``, ``jobs``, ``min_outside_city_ha``).
    entry : str
        Where the zone stands in the plan, for error messages.
    place : str or None
        The gazetteer place a settlement's extent belongs to (``places:konaev``).
    basis : str
        Why the zone has its shape and size where no area is published
        (e.g. an assumed radius), for the layer's ``basis`` column.
    """

    layer: str
    id: str
    name_en: str
    name_kk: str
    name_ru: str
    role: str
    rule: rules.Rule
    published_ha: float | None
    published_source: str
    solve: str | None
    solve_range: tuple[float, float]
    targets: Mapping[str, float] = field(default_factory=dict)
    entry: str = ""
    place: str | None = None
    basis: str = ""


def parse_zones(data: Mapping[str, Any], *, source: str) -> tuple[ZoneSpec, ...]:
    """Read ``[[settlements]]``, ``[[districts]]``, ``[city_boundary]`` and ``[sez]`` (or several ``[[sez]]``).

    Raises
    ------
    PlanError
        One line naming the plan file and the entry.
    """
    specs: list[ZoneSpec] = []
    for layer in ("settlements", "districts"):
        items = data.get(layer, [])
        if not isinstance(items, list):
            raise PlanError(f"{source}: '{layer}' must be an array of tables ([[{layer}]])")
        for item in items:
            specs.append(_zone(item, layer=layer, entry=f"{layer}.{_id(item, layer, source)}", source=source))
    for layer in ("city_boundary", "sez"):
        if layer not in data:
            continue
        if layer == "sez" and isinstance(data[layer], list):  # [[sez]]: several special economic zones
            for item in data[layer]:
                specs.append(_zone(item, layer=layer, entry=f"sez.{_id(item, layer, source)}", source=source))
        else:
            specs.append(_zone(data[layer], layer=layer, entry=layer, source=source))
    ids = [(s.layer, s.id) for s in specs]
    duplicates = {f"{layer}.{i}" for layer, i in ids if ids.count((layer, i)) > 1}
    if duplicates:
        raise PlanError(f"{source}: zone id used twice: {', '.join(sorted(duplicates))}")
    return tuple(specs)


def _id(item: Any, layer: str, source: str) -> str:
    if not isinstance(item, Mapping) or not isinstance(item.get("id"), str) or not item["id"]:
        raise PlanError(f"{source}: every '{layer}' entry needs an 'id'")
    return str(item["id"])


def _zone(item: Any, *, layer: str, entry: str, source: str) -> ZoneSpec:
    zone_id = _id(item, layer, source)
    rule = rules.parse_rule(item.get("rule"), entry=f"{entry}.rule", source=source)
    published = item.get("published_ha")
    if published is not None and (isinstance(published, bool) or not isinstance(published, (int, float))
                                  or published <= 0):
        raise PlanError(f"{source}: '{entry}.published_ha' must be an area in hectares greater than 0")
    solve = item.get("solve")
    parameters = rules.numeric_parameters(rule)
    if solve is not None and solve not in parameters:
        known = ", ".join(parameters) or "none"
        raise PlanError(f"{source}: '{entry}.solve' names {solve!r}, which is not a parameter of the rule "
                        f"(parameters: {known})")
    if solve is not None and published is None:
        raise PlanError(f"{source}: '{entry}.solve' needs a 'published_ha' to calibrate to")
    bounds = item.get("solve_range", [0.0, 50_000.0])
    if (not isinstance(bounds, list) or len(bounds) != 2 or not all(isinstance(b, (int, float)) for b in bounds)
            or not 0 <= bounds[0] < bounds[1]):
        raise PlanError(f"{source}: '{entry}.solve_range' must be [low, high] metres with 0 <= low < high")
    targets = {key: float(item[key]) for key in ("residents", "jobs", "min_outside_city_ha") if key in item}
    place = item.get("place")
    if layer == "settlements" and (not isinstance(place, str) or not place.startswith("places:")):
        raise PlanError(f"{source}: '{entry}.place' must name the settlement's place, e.g. 'places:konaev'")
    return ZoneSpec(
        layer=layer, id=zone_id,
        name_en=str(item.get("name_en", zone_id)), name_kk=str(item.get("name_kk", "")),
        name_ru=str(item.get("name_ru", "")), role=str(item.get("role", "")),
        rule=rule, published_ha=float(published) if published is not None else None,
        published_source=str(item.get("published_source", "")), solve=solve,
        solve_range=(float(bounds[0]), float(bounds[1])), targets=targets, entry=entry,
        place=place if layer == "settlements" else None, basis=str(item.get("basis", "")),
    )


@dataclass(frozen=True)
class ZoneResult:
    """A built zone with its calibration."""

    spec: ZoneSpec
    geometry: shapely.Geometry
    area_ha: float
    solved_value: float | None

    @property
    def residual_pct(self) -> float | None:
        """Built minus published area, percent of the published area."""
        if self.spec.published_ha is None:
            return None
        return 100.0 * (self.area_ha - self.spec.published_ha) / self.spec.published_ha


def _area(geometry: shapely.Geometry) -> float:
    if geometry.is_empty:
        return 0.0
    return float(area_ha(gpd.GeoSeries([geometry], crs=WORKING_CRS)).iloc[0])


def _drop_slivers(geometry: shapely.Geometry, *, min_part_ha: float) -> shapely.Geometry:
    parts = [p for p in shapely.get_parts(polygonal(shapely.make_valid(geometry))) if not p.is_empty]
    kept = [p for p in parts if p.area / 10_000.0 >= min_part_ha]
    if not kept:
        return shapely.MultiPolygon()
    return kept[0] if len(kept) == 1 else shapely.MultiPolygon(kept)


class _Resolver:
    """Looks up ``layer:id`` names among the reference layers and the zones built so far."""

    def __init__(self, reference: LayerSet, *, source: str) -> None:
        self._reference = reference
        self._zones: dict[str, dict[str, shapely.Geometry]] = {name: {} for name in ZONE_LAYERS}
        self._source = source
        self.entry = ""

    def add(self, layer: str, zone_id: str, geometry: shapely.Geometry) -> None:
        self._zones[layer][zone_id] = geometry

    def __call__(self, name: str) -> shapely.Geometry:
        layer, _, feature = name.partition(":")
        where = f"{self._source}: '{self.entry}'"
        if not feature:
            raise PlanError(f"{where}: {name!r} must be written as 'layer:id', e.g. 'places:konaev'")
        if layer in self._zones:
            built = self._zones[layer]
            if feature == "*":
                if not built:
                    raise PlanError(f"{where}: {name!r} refers to {layer} before any is built")
                return shapely.union_all(list(built.values()))
            if feature not in built:
                raise PlanError(f"{where}: unknown or not yet built zone {name!r}")
            return built[feature]
        if layer not in self._reference:
            known = ", ".join(sorted([*self._reference, *ZONE_LAYERS]))
            raise PlanError(f"{where}: rule refers to a missing layer {layer!r} (layers: {known})")
        frame = self._reference[layer].frame
        if feature == "*":
            return shapely.union_all(frame.geometry.to_numpy())
        match = frame.loc[frame["id"] == feature, "geometry"]
        if match.empty:
            raise PlanError(f"{where}: unknown {layer[:-1] if layer.endswith('s') else layer} {feature!r} "
                            f"in {name!r}")
        return match.iloc[0]


Solved = tuple[shapely.Geometry, float | None]
"""A zone's geometry and the value its calibration solved (None when it was not calibrated)."""


def build_zones(specs: Sequence[ZoneSpec], reference: LayerSet, *, min_part_ha: float,
                source: str, known: MutableMapping[str, Solved] | None = None) -> list[ZoneResult]:
    """Build (and calibrate) every zone in plan order.

    Parameters
    ----------
    specs : sequence of ZoneSpec
    reference : LayerSet
        Must hold ``study_area`` and ``reservoir`` and whatever the rules name.
    min_part_ha : float
        Parts of a district smaller than this are dropped, hectares.
    source : str
        The plan file, for messages.
    known : mutable mapping, optional
        Zones built before, by a key of everything a zone is made of: the
        reference layers (ids and geometries), `min_part_ha`, its own entry
        and every entry before it (which give the zones it is clipped by).
        A zone found there is taken as it is, exact; the others are built
        and added. After an edit of one district, the zones before it in the
        plan are read back.

    Raises
    ------
    PlanError
        For a reference to an unknown feature or layer, an unsolvable
        target, or a city boundary that does not hold the districts.
    """
    resolve = _Resolver(reference, source=source)
    frame = reference["study_area"].frame.geometry.iloc[0]
    water = shapely.union_all(reference["reservoir"].frame.geometry.to_numpy())
    key = _reference_key(reference, min_part_ha=min_part_ha) if known is not None else ""
    results: list[ZoneResult] = []
    for spec in specs:
        key = hashlib.sha256(f"{key}|{spec!r}".encode()).hexdigest() if known is not None else ""
        found = known.get(key) if known is not None else None
        if found is not None:
            geometry, solved = found
        else:
            geometry, solved = _built(spec, resolve, results, frame=frame, water=water, min_part_ha=min_part_ha,
                                      source=source)
            if known is not None:
                known[key] = (geometry, solved)
        result = ZoneResult(spec=spec, geometry=geometry, area_ha=_area(geometry), solved_value=solved)
        resolve.add(spec.layer, spec.id, geometry)
        results.append(result)
    return results


def _built(spec: ZoneSpec, resolve: _Resolver, done: list[ZoneResult], *,
           frame: shapely.Geometry, water: shapely.Geometry, min_part_ha: float, source: str) -> Solved:
    """One zone's geometry and solved value, from its rule clipped by what `done` holds."""
    resolve.entry = f"{spec.entry}.rule"
    if spec.place is not None:
        resolve(spec.place)  # an unknown place is named before any geometry is built
    taken = _taken(spec, done)
    built: dict[rules.Rule, shapely.Geometry] = {}  # the parts of the rule a calibration does not change

    def shape(rule: rules.Rule) -> shapely.Geometry:
        raw = rules.evaluate(rule, resolve, frame=frame, known=built)
        clipped = shapely.difference(shapely.difference(shapely.intersection(raw, frame), water), taken)
        return _drop_slivers(clipped, min_part_ha=min_part_ha)

    geometry, solved = _calibrated(spec, shape, source=source)
    if spec.layer == "city_boundary":
        _check_holds_districts(ZoneResult(spec=spec, geometry=geometry, area_ha=_area(geometry), solved_value=solved),
                               done, source=source)
    return geometry, solved


def _reference_key(reference: LayerSet, *, min_part_ha: float) -> str:
    """SHA-256 of what the rules can read of `reference` (each layer's ids and geometries) and `min_part_ha`."""
    hashed = hashlib.sha256(repr(float(min_part_ha)).encode())
    for name in sorted(reference):
        frame = reference[name].frame
        ids = frame["id"].astype(str).tolist() if "id" in frame.columns else []
        hashed.update(geometry_digest(frame.geometry.to_numpy(), repr((name, ids))).encode())
    return hashed.hexdigest()


def _taken(spec: ZoneSpec, done: Sequence[ZoneResult]) -> shapely.Geometry:
    """What a zone may not hold: the settlements, and for a district (or settlement) the ones built before it."""
    layers = ("settlements", "districts") if spec.layer == "districts" else ("settlements",)
    parts = [r.geometry for r in done if r.spec.layer in layers]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _calibrated(spec: ZoneSpec, shape: Any, *, source: str) -> tuple[shapely.Geometry, float | None]:
    if spec.solve is None or spec.published_ha is None:
        return shape(spec.rule), None
    target = spec.published_ha
    low, high = spec.solve_range

    def area_at(value: float) -> tuple[float, shapely.Geometry]:
        geometry = shape(rules.with_parameter(spec.rule, spec.solve, value))
        return _area(geometry), geometry

    low_area, _ = area_at(low)
    high_area, geometry = area_at(high)
    if not low_area <= target <= high_area:
        raise PlanError(
            f"{source}: '{spec.entry}': published area {target:,.0f} ha cannot be reached: {spec.solve} from "
            f"{low:,.0f} to {high:,.0f} m gives {low_area:,.0f} to {high_area:,.0f} ha; change the rule or solve_range"
        )
    # Regula falsi, Illinois variant: the area grows with the parameter, so
    # the root stays bracketed as in bisection, but each step aims where the
    # bracket's line meets the target and the calibration takes about half
    # the evaluations (each one builds and clips the zone).
    below, above = low_area - target, high_area - target
    value, replaced = high, ""
    for _ in range(_MAX_ITERATIONS):
        value = (low * above - high * below) / (above - below) if above > below else (low + high) / 2
        if not low < value < high:
            value = (low + high) / 2
        area, geometry = area_at(value)
        miss = area - target
        if abs(miss) <= target * _TARGET_PCT / 100:
            break
        # An end replaced twice running halves the other end's miss, so that end moves too.
        if miss < 0:
            low, below = value, miss
            above = above / 2 if replaced == "low" else above
            replaced = "low"
        else:
            high, above = value, miss
            below = below / 2 if replaced == "high" else below
            replaced = "high"
    return geometry, value


def _check_holds_districts(city: ZoneResult, done: list[ZoneResult], *, source: str) -> None:
    for district in (r for r in done if r.spec.layer == "districts"):
        outside = _area(shapely.difference(district.geometry, city.geometry))
        if outside > 1.0:
            raise PlanError(f"{source}: '{city.spec.entry}': district {district.spec.id} has {outside:,.0f} ha "
                            "outside the city boundary; include 'districts:*' in its rule")


def _solved_rule(result: ZoneResult) -> rules.Rule:
    if result.spec.solve is None or result.solved_value is None:
        return result.spec.rule
    return rules.with_parameter(result.spec.rule, result.spec.solve, result.solved_value)


def zone_layers(results: Sequence[ZoneResult], *, source: str) -> list[Layer]:
    """The ``districts``, ``city_boundary`` and ``sez`` layers of built zones."""
    layers = []
    city = next((r.geometry for r in results if r.spec.layer == "city_boundary"), None)
    titles = {"settlements": "Settlements outside Alatau (approximate extents)", "districts": "Districts",
              "city_boundary": "City boundary", "sez": "Special economic zone"}
    for layer_name in ZONE_LAYERS:
        members = [r for r in results if r.spec.layer == layer_name]
        if not members:
            continue
        rows = []
        for r in members:
            row = {
                "id": r.spec.id, "name_en": r.spec.name_en, "name_kk": r.spec.name_kk, "name_ru": r.spec.name_ru,
                "role": r.spec.role, "area_ha": round(r.area_ha, 1), "published_ha": r.spec.published_ha,
                "residual_pct": None if r.residual_pct is None else round(r.residual_pct, 3),
                "solved_parameter": r.spec.solve, "solved_value_m": None if r.solved_value is None
                else round(r.solved_value, 1),
                "rule": rules.describe(_solved_rule(r)), "published_source": r.spec.published_source,
                **({"place": r.spec.place.partition(":")[2], "basis": r.spec.basis}
                   if layer_name == "settlements" else {}),
                **{f"{key}_target": value for key, value in r.spec.targets.items()},
                "geometry": r.geometry,
            }
            if layer_name == "sez" and city is not None:
                row["outside_city_ha"] = round(_area(shapely.difference(r.geometry, city)), 1)
            rows.append(row)
        frame = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=WORKING_CRS)
        layers.append(Layer(
            name=layer_name, title=titles[layer_name], frame=frame,
            provenance=Provenance(
                source=f"plan {source}; reference layers (SRTM3-derived water and rivers, gazetteer, corridors, "
                "outlines); published areas as cited per feature, the basis of the others per feature",
                method="construction rules over named reference features; free parameter solved by regula falsi "
                f"so the equal-area size matches the published figure within {TOLERANCE_PCT} %; water, "
                + ("earlier settlements" if layer_name == "settlements" else
                   "the settlements outside Alatau" + (", earlier districts" if layer_name == "districts" else ""))
                + " and slivers removed",
                parameters={f"{r.spec.id}.{r.spec.solve}": round(r.solved_value, 1)
                            for r in members if r.solved_value is not None},
                quality="approximate",
            ),
        ))
    return layers
