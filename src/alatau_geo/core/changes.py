"""What changed between two versions of a set of layers.

Used when a build replaces the committed layers: the planner sees which
layers changed, by how many features, and by how much area or length.
"""

from __future__ import annotations

from dataclasses import dataclass

from alatau_geo.core.crs import area_ha
from alatau_geo.core.io import geojson_text
from alatau_geo.core.layers import Layer, LayerSet


@dataclass(frozen=True)
class LayerChange:
    """The change of one layer.

    Attributes
    ----------
    name : str
    status : {'new', 'removed', 'changed', 'unchanged'}
        'unchanged' means the exported GeoJSON is byte-identical.
    features_before, features_after : int or None
    measure : str
        'area_ha', 'length_km' or 'count'.
    before, after : float or None
        Total area (ha) or length (km) of the layer.
    """

    name: str
    status: str
    features_before: int | None
    features_after: int | None
    measure: str
    before: float | None
    after: float | None

    def __str__(self) -> str:
        if self.status == "unchanged":
            return f"{self.name}: unchanged ({self.features_after} features)"
        if self.status == "new":
            return f"{self.name}: new, {self.features_after} features{self._amount(self.after)}"
        if self.status == "removed":
            return f"{self.name}: removed (had {self.features_before} features)"
        parts = [f"{self.name}: changed, features {self.features_before} -> {self.features_after}"]
        if self.measure != "count" and self.before is not None and self.after is not None:
            unit = "ha" if self.measure == "area_ha" else "km"
            delta = self.after - self.before
            parts.append(f"{self.measure.split('_')[0]} {self.before:,.1f} -> {self.after:,.1f} {unit} ({delta:+,.1f})")
        else:
            parts.append("attributes or positions differ")
        return ", ".join(parts)

    def _amount(self, value: float | None) -> str:
        if value is None or self.measure == "count":
            return ""
        unit = "ha" if self.measure == "area_ha" else "km"
        return f", {value:,.1f} {unit}"


def layer_measure(layer: Layer) -> tuple[str, float | None]:
    """Total area in ha (polygons), length in km (lines) or ('count', None) for points."""
    kind = layer.geometry_type.removeprefix("Multi")
    if layer.frame.empty:
        return ("count", None)
    if kind == "Polygon":
        return ("area_ha", float(area_ha(layer.frame).sum()))
    if kind == "LineString":
        return ("length_km", float(layer.frame.geometry.length.sum() / 1000.0))
    return ("count", None)


def compare_layers(before: LayerSet | None, after: LayerSet, *, precision: int = 6) -> list[LayerChange]:
    """Compare two layer sets layer by layer, in the order of `after` then removed ones.

    Parameters
    ----------
    before : LayerSet or None
        The previous layers (None: everything is new).
    after : LayerSet
    precision : int
        Coordinate decimals of the export, degrees; layers whose exports are
        byte-identical at this precision are 'unchanged'.
    """
    before = before or LayerSet()
    changes = []
    for name, layer in after.items():
        measure, value = layer_measure(layer)
        if name not in before:
            changes.append(LayerChange(name, "new", None, len(layer.frame), measure, None, value))
            continue
        old = before[name]
        same = geojson_text(old, precision=precision) == geojson_text(layer, precision=precision)
        _, old_value = layer_measure(old)
        changes.append(LayerChange(name, "unchanged" if same else "changed", len(old.frame), len(layer.frame),
                                   measure, old_value, value))
    for name, layer in before.items():
        if name not in after:
            changes.append(LayerChange(name, "removed", len(layer.frame), None, "count", None, None))
    return changes
