"""Layers and their provenance.

A :class:`Layer` is a GeoDataFrame in the working CRS with a name, a stable
``id`` column that fixes the feature order, and a :class:`Provenance` record
(source, method, parameters, quality flag). Builders return layers; the
exporters in :mod:`alatau_geo.core.io` write them.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import geopandas as gpd
import numpy as np
import shapely

from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.errors import LayerError

Quality = Literal["surveyed", "published", "derived", "approximate"]
QUALITIES: tuple[str, ...] = get_args(Quality)


_TYPE_NAMES = ("Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon",
               "GeometryCollection")
"""Geometry type names by GEOS type id (:func:`shapely.get_type_id`), as ``geom_type`` gives them."""


def geometry_type_of(geometries: gpd.GeoSeries) -> str:
    """The one geometry type of a layer's geometries, multi-part where any feature is.

    ``Geometry`` when the base types are mixed, ``Unknown`` when there is no
    geometry. :attr:`Layer.geometry_type` applies it to a layer; the manifest
    and the GeoPackage apply it to the geometries as written (rounding may
    split a polygon into a multipolygon).

    Examples
    --------
    >>> from shapely.geometry import MultiPoint, Point
    >>> geometry_type_of(gpd.GeoSeries([Point(0, 0), MultiPoint([(1, 1), (2, 2)])]))
    'MultiPoint'
    """
    # By GEOS type id, not by the ``geom_type`` strings: a layer's pages ask for it often (legend, drawing).
    ids = np.unique(shapely.get_type_id(np.asarray(geometries.array, dtype=object)))
    types = {_TYPE_NAMES[int(type_id)] for type_id in ids if type_id >= 0}  # -1: no geometry
    if not types:
        return "Unknown"
    base = {kind.removeprefix("Multi") for kind in types}
    if len(base) != 1:
        return "Geometry"
    (kind,) = base
    return f"Multi{kind}" if any(t.startswith("Multi") for t in types) else kind


@dataclass(frozen=True)
class Provenance:
    """Where a layer comes from.

    Parameters
    ----------
    source : str
        The input data (files, tables, publications).
    method : str
        How the layer was made from the source.
    parameters : Mapping
        The plan parameters the method used, with units in the key names.
    quality : {'surveyed', 'published', 'derived', 'approximate'}
        How far the geometry can be trusted.

    Examples
    --------
    >>> p = Provenance(source="GeoNames", method="positions from the table", quality="published")
    >>> p.as_dict()["quality"]
    'published'
    """

    source: str
    method: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    quality: Quality = "derived"

    def __post_init__(self) -> None:
        if self.quality not in QUALITIES:
            raise ValueError(f"quality must be one of {', '.join(QUALITIES)}, got {self.quality!r}")

    def as_dict(self) -> dict[str, Any]:
        """Plain-data form, as written into manifests and GeoPackage metadata."""
        return {
            "source": self.source,
            "method": self.method,
            "parameters": dict(sorted(self.parameters.items())),
            "quality": self.quality,
        }


@dataclass(frozen=True)
class Layer:
    """A named vector layer with provenance.

    Parameters
    ----------
    name : str
        File-safe name (lower case, digits, underscores), e.g. ``"reservoir"``.
    frame : GeoDataFrame
        Features in the working CRS (EPSG:32643) with a unique ``id`` column.
    provenance : Provenance
    title : str
        Human-readable title.
    disjoint : bool, default False
        Whether no two features overlap, as in the polygons of a raster's
        cells (:func:`alatau_geo.analysis.zonal.code_polygons`): the area the
        layer covers is then the sum of its features' areas, which
        :func:`alatau_geo.core.changes.layer_measure` takes instead of a union.
        Say it only of what is disjoint by construction.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> frame = gpd.GeoDataFrame({"id": ["a"]}, geometry=[Point(660000, 4820000)], crs=32643)
    >>> layer = Layer("sites", frame, Provenance(source="survey", method="GPS", quality="surveyed"))
    >>> layer.geometry_type
    'Point'
    """

    name: str
    frame: gpd.GeoDataFrame
    provenance: Provenance
    title: str = ""
    disjoint: bool = False

    def __post_init__(self) -> None:
        if not self.name or not all(c.islower() or c.isdigit() or c == "_" for c in self.name):
            raise LayerError(f"layer name {self.name!r}: use lower-case letters, digits and underscores")
        if self.frame.crs is None or not WORKING_CRS.equals(self.frame.crs):
            raise LayerError(f"layer {self.name}: frame must be in EPSG:32643, got {self.frame.crs}")
        if "id" not in self.frame.columns:
            raise LayerError(f"layer {self.name}: missing 'id' column")
        if self.frame["id"].duplicated().any():
            duplicates = sorted(set(self.frame.loc[self.frame["id"].duplicated(), "id"].astype(str)))
            raise LayerError(f"layer {self.name}: duplicate ids {', '.join(duplicates[:5])}")

    @property
    def geometry_type(self) -> str:
        """The one geometry type of the layer, multi-part where any feature is (:func:`geometry_type_of`)."""
        return geometry_type_of(self.frame.geometry)

    def sorted(self) -> Layer:
        """The same layer with features in stable ``id`` order."""
        frame = self.frame.sort_values("id", kind="stable").reset_index(drop=True)
        return Layer(self.name, frame, self.provenance, self.title, disjoint=self.disjoint)


class LayerSet(Mapping[str, Layer]):
    """An ordered collection of layers, addressed by name.

    Examples
    --------
    >>> LayerSet()
    LayerSet()
    """

    def __init__(self, layers: Iterable[Layer] = ()) -> None:
        self._layers: dict[str, Layer] = {}
        for layer in layers:
            if layer.name in self._layers:
                raise LayerError(f"layer {layer.name}: defined twice")
            self._layers[layer.name] = layer

    def __getitem__(self, name: str) -> Layer:
        try:
            return self._layers[name]
        except KeyError:
            known = ", ".join(self._layers) or "none"
            raise KeyError(f"no layer named {name!r} (layers: {known})") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._layers)

    def __len__(self) -> int:
        return len(self._layers)

    def __repr__(self) -> str:
        return f"LayerSet({', '.join(self._layers)})"


def frame_digest(layer: Layer) -> bytes:
    """A SHA-256 of the layer's frame as pickled (its CRS, attributes and geometries as WKB).

    Equal frames made the same way hash the same; keys of what is made
    from a layer (its display copies) use it, and a frame made another way
    is at worst a miss.
    """
    return hashlib.sha256(pickle.dumps(layer.frame, protocol=5)).digest()
