"""What changed between two versions of a set of layers.

Used when a build replaces the committed layers: the planner sees which
layers changed, by how many features, and by how much area or length. Two
versions of a layer are the same when their features, geometries (as
exported, at the export precision) and attributes are; the provenance text
is not compared. Areas are those of the union of a layer's polygons, so
overlapping features (service areas at 10, 20 and 30 minutes) are not
counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from alatau_geo.core.crs import area_ha
from alatau_geo.core.export_geometry import prepare_layer
from alatau_geo.core.geojson import property_columns
from alatau_geo.core.layers import Layer, LayerSet


@dataclass(frozen=True)
class LayerChange:
    """The change of one layer.

    Attributes
    ----------
    name : str
    status : {'new', 'removed', 'changed', 'unchanged'}
        'unchanged' means the same features, geometries and attributes as
        exported; provenance text is not compared.
    features_before, features_after : int or None
    measure : str
        'area_ha', 'length_km' or 'count'.
    before, after : float or None
        Area of the union of the layer's polygons (ha), or total length (km).
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
            return f"{self.name}: unchanged ({_features(self.features_after)})"
        if self.status == "new":
            return f"{self.name}: new, {_features(self.features_after)}{self._amount(self.after)}"
        if self.status == "removed":
            return f"{self.name}: removed (had {_features(self.features_before)})"
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


def _features(count: int | None) -> str:
    return f"{count} feature" if count == 1 else f"{count} features"


def layer_measure(layer: Layer) -> tuple[str, float | None]:
    """Area in ha of the union of the polygons, length in km (lines), or ('count', None) for points.

    The polygons of a :attr:`~alatau_geo.core.layers.Layer.disjoint` layer
    (a raster's cells: the suitability classes) cover the sum of their
    areas: they are added up, not merged (merging 2,000 such polygons takes
    GEOS a tenth of a second).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from alatau_geo.core.layers import Provenance
    >>> squares = [box(500_000, 4_800_000, 500_100, 4_800_100), box(500_050, 4_800_000, 500_150, 4_800_100)]
    >>> frame = gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=squares, crs="EPSG:32643")
    >>> measure, value = layer_measure(Layer("zones", frame, Provenance("test", "test")))
    >>> measure, round(value, 1)
    ('area_ha', 1.5)
    """
    kind = layer.geometry_type.removeprefix("Multi")
    if layer.frame.empty:
        return ("count", None)
    if kind == "Polygon" and layer.disjoint:
        return ("area_ha", float(area_ha(layer.frame.geometry).sum()))
    if kind == "Polygon":
        # A feature repeated (the population blocks of each phase) adds nothing to the union: union it once.
        geometries = layer.frame.geometry.to_numpy()
        geometries = geometries[~shapely.is_missing(geometries)]
        _, first = np.unique(shapely.to_wkb(geometries), return_index=True)
        union = gpd.GeoSeries([shapely.union_all(geometries[np.sort(first)])], crs=layer.frame.crs)
        return ("area_ha", float(area_ha(union).sum()))
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
        same = same_content(old, layer, precision=precision)
        # The same geometries as exported: the same measure, without another union.
        old_value = value if same else layer_measure(old)[1]
        changes.append(LayerChange(name, "unchanged" if same else "changed", len(old.frame), len(layer.frame),
                                   measure, old_value, value))
    for name, layer in before.items():
        if name not in after:
            changes.append(LayerChange(name, "removed", len(layer.frame), None, "count", None, None))
    return changes


def same_content(a: Layer, b: Layer, *, precision: int = 6) -> bool:
    """Whether two versions of a layer have the same features, geometries and attributes as exported.

    Geometries are compared exactly as exported (WGS84, on the grid of
    `precision` decimals, oriented), as coordinate arrays; attributes as the
    JSON values the export holds, whatever their dtype; provenance and
    titles are not compared. Nothing is serialised.
    """
    if len(a.frame) != len(b.frame):
        return False
    left, right = prepare_layer(a, precision=precision), prepare_layer(b, precision=precision)
    left_columns, right_columns = property_columns(left), property_columns(right)
    if sorted(left_columns) != sorted(right_columns):
        return False
    if not shapely.equals_exact(left.frame.geometry.values, right.frame.geometry.values, tolerance=0.0).all():
        return False
    return all(left_columns[name] == right_columns[name] for name in left_columns)
