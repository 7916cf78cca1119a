"""Compare two plans: zones changed and by how many hectares, objects moved or newly breaking a rule."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from alatau_geo.core.crs import area_ha
from alatau_geo.core.layers import LayerSet
from alatau_geo.plan.districts import ZONE_LAYERS

_Frame = pd.DataFrame | None  # a layer indexed by id, or None where a plan lacks it


@dataclass(frozen=True)
class ZoneDelta:
    """The change of one zone between plan A and plan B.

    Attributes
    ----------
    layer, id : str
    status : {'new', 'removed', 'changed', 'unchanged'}
    area_a_ha, area_b_ha : float or None
    rule_a, rule_b : str or None
        The zone's construction rule in each plan.
    """

    layer: str
    id: str
    status: str
    area_a_ha: float | None
    area_b_ha: float | None
    rule_a: str | None
    rule_b: str | None

    @property
    def delta_ha(self) -> float | None:
        """Area in B minus area in A, hectares."""
        if self.area_a_ha is None or self.area_b_ha is None:
            return None
        return self.area_b_ha - self.area_a_ha

    def __str__(self) -> str:
        name = f"{self.layer}.{self.id}"
        if self.status == "new":
            return f"{name}: only in B, {self.area_b_ha:,.1f} ha"
        if self.status == "removed":
            return f"{name}: only in A, {self.area_a_ha:,.1f} ha"
        if self.status == "unchanged":
            return f"{name}: unchanged, {self.area_b_ha:,.1f} ha"
        rule = f"; rule {self.rule_a} -> {self.rule_b}" if self.rule_a != self.rule_b else ""
        return f"{name}: {self.area_a_ha:,.1f} -> {self.area_b_ha:,.1f} ha ({self.delta_ha:+,.1f} ha){rule}"


def zone_deltas(a: LayerSet, b: LayerSet, *, min_change_ha: float = 0.05) -> list[ZoneDelta]:
    """Compare the zone layers of two plans feature by feature.

    Parameters
    ----------
    a, b : LayerSet
        Zone layers built from plan A and plan B on the same reference layers.
    min_change_ha : float
        A zone whose geometry differs but whose area moves less than this,
        and whose rule is the same, counts as unchanged.
    """
    deltas = []
    for layer, zone, frame_a, frame_b in _features(a, b, ZONE_LAYERS):
        area_a = float(area_ha(frame_a.loc[[zone]]).iloc[0]) if frame_a is not None else None
        area_b = float(area_ha(frame_b.loc[[zone]]).iloc[0]) if frame_b is not None else None
        rule_a = str(frame_a.loc[zone, "rule"]) if frame_a is not None else None
        rule_b = str(frame_b.loc[zone, "rule"]) if frame_b is not None else None
        if frame_a is None:
            status = "new"
        elif frame_b is None:
            status = "removed"
        elif rule_a == rule_b and abs(area_b - area_a) < min_change_ha and \
                frame_a.loc[zone, "geometry"].equals(frame_b.loc[zone, "geometry"]):
            status = "unchanged"
        else:
            status = "changed"
        deltas.append(ZoneDelta(layer, zone, status, area_a, area_b, rule_a, rule_b))
    return deltas



PLACED_LAYERS = ("infrastructure", "infrastructure_lines", "projects")


@dataclass(frozen=True)
class ObjectChange:
    """A placed object that differs between plan A and plan B.

    Attributes
    ----------
    layer, id : str
    moved_m : float or None
        Distance between its positions (representative points), metres;
        None if it exists in one plan only.
    newly_broken : tuple of str
        Placement rules it breaks in B but not in A.
    no_longer_broken : tuple of str
        Rules it broke in A but not in B.
    """

    layer: str
    id: str
    moved_m: float | None
    newly_broken: tuple[str, ...]
    no_longer_broken: tuple[str, ...]

    def __str__(self) -> str:
        parts = [f"{self.layer}.{self.id}:"]
        parts.append("only in one plan" if self.moved_m is None else f"moved {self.moved_m:,.0f} m")
        if self.newly_broken:
            parts.append(f"newly breaks {', '.join(self.newly_broken)}")
        if self.no_longer_broken:
            parts.append(f"no longer breaks {', '.join(self.no_longer_broken)}")
        return " ".join(parts)


def _features(a: LayerSet, b: LayerSet, layers: Iterable[str]) -> Iterator[tuple[str, Any, _Frame, _Frame]]:
    """(layer, id, A's frame, B's frame) for every feature id of `layers` in either plan, ids sorted per layer.

    The frames are indexed by id; a frame is None where its plan lacks the layer or that id.
    """
    for layer in layers:
        frame_a = a[layer].frame.set_index("id") if layer in a else None
        frame_b = b[layer].frame.set_index("id") if layer in b else None
        ids = sorted(set().union(*(frame.index for frame in (frame_a, frame_b) if frame is not None)))
        for feature_id in ids:
            yield (layer, feature_id, frame_a if frame_a is not None and feature_id in frame_a.index else None,
                   frame_b if frame_b is not None and feature_id in frame_b.index else None)


def _broken(value: object) -> set[str]:
    return {rule for rule in str(value or "").split(";") if rule and rule != "nan"}


def object_changes(a: LayerSet, b: LayerSet) -> list[ObjectChange]:
    """Placed objects that moved, appeared, disappeared or changed the rules they break."""
    changes = []
    for layer, object_id, frame_a, frame_b in _features(a, b, PLACED_LAYERS):
        if frame_a is None or frame_b is None:
            changes.append(ObjectChange(layer, str(object_id), None, (), ()))
            continue
        geometry_a, geometry_b = frame_a.loc[object_id, "geometry"], frame_b.loc[object_id, "geometry"]
        moved = float(geometry_a.representative_point().distance(geometry_b.representative_point()))
        broken_a = _broken(frame_a.loc[object_id, "broken_rules"])
        broken_b = _broken(frame_b.loc[object_id, "broken_rules"])
        if moved < 0.01 and broken_a == broken_b and geometry_a.equals(geometry_b):
            continue
        changes.append(ObjectChange(layer, str(object_id), moved, tuple(sorted(broken_b - broken_a)),
                                    tuple(sorted(broken_a - broken_b))))
    return changes
