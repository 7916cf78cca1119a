"""The layers of one build as exported, each layer exported once.

A plan is built on its layers as a reader of their GeoJSON gets them back
(:func:`~alatau_geo.core.geojson.as_exported`): the zones are drawn on the
reference as exported, the suitability reads the reference, the zones and
the infrastructure as exported, the residents the zones and the placed
objects, and the analyses the zones and the facilities: were each reader
to export what it reads, a build would export the city boundary four
times. :class:`ExportedLayers` exports each layer once and hands every
later reader the same exported layer.
"""

from __future__ import annotations

from alatau_geo.core.export_geometry import DEFAULT_PRECISION, ExportedGeometries
from alatau_geo.core.geojson import as_exported
from alatau_geo.core.layers import Layer, LayerSet
from alatau_geo.jobs.memo import ByObject

__all__ = ["ExportedLayers"]


class ExportedLayers:
    """:func:`~alatau_geo.core.geojson.as_exported`, each layer object exported once.

    A layer is known by the object itself, not its name: layers are not
    changed in place, so the same object exports to the same layer, while
    an edited copy of a layer is a new object and is exported anew. The
    exported layers are kept as long as this object (one build).

    Parameters
    ----------
    precision : int
        Decimals of the exported WGS84 coordinates, degrees.
    memo : mapping, optional
        Geometries exported by earlier builds
        (:data:`~alatau_geo.core.export_geometry.ExportedGeometries`), which
        :func:`~alatau_geo.core.geojson.as_exported` reads and updates.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> from alatau_geo.core.layers import Provenance
    >>> frame = gpd.GeoDataFrame({"id": ["a"]}, geometry=[Point(500_000.0, 4_800_000.0)], crs="EPSG:32643")
    >>> layer = Layer("wells", frame, Provenance("test", "test"))
    >>> export = ExportedLayers(precision=6)
    >>> export(layer) is export(layer)
    True
    """

    def __init__(self, *, precision: int = DEFAULT_PRECISION, memo: ExportedGeometries | None = None) -> None:
        self.precision = precision
        self.memo = memo
        self._done = ByObject(lambda layer: as_exported(layer, precision=precision, memo=memo))

    def __call__(self, layer: Layer) -> Layer:
        """`layer` as exported: exported on the first call, the same object after."""
        return self._done(layer)

    def layers(self, layers: LayerSet) -> LayerSet:
        """Every layer of `layers` as exported, in their order."""
        return LayerSet(self(layer) for layer in layers.values())
