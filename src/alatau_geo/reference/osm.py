"""Reference layers from OpenStreetMap instead of the shipped approximate tables.

OpenStreetMap (OSM) data arrive either as a local OSM XML extract
(:func:`read_osm_xml`) or from the Overpass API (:func:`download_osm`); both
go through osmnx and give the same :class:`OsmExtract`: places, transport
corridors and rivers as :class:`~alatau_geo.core.layers.Layer` objects in the
working CRS (EPSG:32643), with the same columns as the table-based layers,
plus an optional road graph.

The layers are made by :mod:`alatau_geo.reference.osm_layers`; OSM data are
(c) OpenStreetMap contributors, available under the Open Database Licence
(ODbL), and the provenance of every layer says so.
"""

from __future__ import annotations

import bz2
import gzip
import xml.etree.ElementTree as ET
import xml.sax
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import osmnx as ox
import pandas as pd

# osmnx 2 defines its exceptions in a private module and exports no public
# alias; these two are the ones its readers and downloaders document.
from osmnx._errors import InsufficientResponseError, ResponseStatusCodeError

from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.errors import InputDataError
from alatau_geo.core.layers import Layer
from alatau_geo.reference.osm_layers import (
    DEFAULT_TAGS,
    TagFilter,
    corridors_from_osm,
    osmnx_tags,
    places_from_osm,
    rivers_from_osm,
)

# Highway values that are not roads for motor vehicles; the same list osmnx
# uses for its "drive" network, so a graph read from a file matches one
# downloaded with network_type="drive".
NON_ROAD_HIGHWAYS: frozenset[str] = frozenset(
    {
        "abandoned", "bridleway", "bus_guideway", "construction", "corridor", "cycleway",
        "elevator", "escalator", "footway", "no", "path", "pedestrian", "planned",
        "platform", "proposed", "raceway", "razed", "service", "steps", "track",
    }
)


@dataclass(frozen=True)
class OsmExtract:
    """The layers and road graph made from one OSM extract or download.

    Parameters
    ----------
    places : Layer
        ``places_osm``: named places (points), EPSG:32643.
    corridors : Layer
        ``corridors_osm``: highways and railways, merged per route.
    rivers : Layer
        ``rivers_osm``: rivers, merged per name.
    graph : networkx.MultiDiGraph or None
        Road network (osmnx graph, simplified, projected to EPSG:32643:
        node ``x``, ``y`` in metres, edge ``length`` in metres), or ``None``
        when the extract holds no roads.
    source : str
        The file read, or a description of the download.
    """

    places: Layer
    corridors: Layer
    rivers: Layer
    graph: nx.MultiDiGraph | None
    source: str


def read_osm_xml(path: str | Path, *, tags: TagFilter = DEFAULT_TAGS) -> OsmExtract:
    """Read places, corridors, rivers and the road graph from an OSM XML file.

    Parameters
    ----------
    path : str or Path
        OSM XML extract (``.osm``, or ``.osm.gz`` / ``.osm.bz2``). Cut it
        with complete ways (``osmium extract --strategy complete_ways``): osmnx
        drops a feature whose way lacks nodes, and refuses such a road.
    tags : Mapping
        OSM tags to read, as osmnx takes them (key -> True, a value or a
        list of values). Features outside
        :data:`~alatau_geo.reference.osm_layers.DEFAULT_TAGS` are read but not
        used by any layer.

    Returns
    -------
    OsmExtract
        Layers with zero features where the file has none of a kind; the
        graph is the roads (see :data:`NON_ROAD_HIGHWAYS`), or ``None``.

    Raises
    ------
    InputDataError
        If the file is missing, unreadable or not valid OSM XML; the one-line
        message names the file.
    """
    path = Path(path)
    if not path.is_file():
        problem = "is a folder, not an OSM XML file" if path.is_dir() else "OSM XML file not found"
        raise InputDataError(f"{path}: {problem}")
    _check_osm_root(path)
    with _osmnx_settings(default_crs="epsg:4326", cache_only_mode=False):
        try:
            features = _or_empty(ox.features_from_xml, path, tags=osmnx_tags(tags))
            graph = _road_graph_from_xml(path)
        except (ET.ParseError, xml.sax.SAXException, UnicodeDecodeError, EOFError, OSError) as error:
            raise InputDataError(f"{path}: not a readable OSM XML file ({_one_line(error)})") from None
        except (KeyError, ValueError) as error:
            # osmnx parses ids and coordinates with int()/float() and refuses
            # ways whose nodes are missing (an extract clipped mid-way)
            raise InputDataError(f"{path}: malformed OSM XML ({_one_line(error)})") from None
    return _extract(features, graph, origin=str(path))


def download_osm(
    bounds: tuple[float, float, float, float],
    *,
    tags: TagFilter = DEFAULT_TAGS,
    timeout_s: float = 180.0,
    cache_dir: str | Path | None = None,
) -> OsmExtract:
    """Download places, corridors, rivers and the road graph from Overpass.

    Parameters
    ----------
    bounds : tuple of float
        ``(west, south, east, north)`` in WGS84 degrees, (x, y) order.
    tags : Mapping
        OSM tags to download, as osmnx takes them.
    timeout_s : float
        Timeout of each Overpass request, seconds.
    cache_dir : str or Path, optional
        Folder for osmnx's response cache; ``None`` turns caching off (osmnx
        would otherwise write to ``./cache`` of the working directory).

    Returns
    -------
    OsmExtract
        As :func:`read_osm_xml`; the graph is osmnx's ``drive`` network.

    Raises
    ------
    InputDataError
        If the download fails; the one-line message gives the reason and
        suggests a local extract.
    ValueError
        If `bounds` is not a valid (west, south, east, north) box.

    Notes
    -----
    osmnx's settings are global: this function sets the ones it needs
    (timeout, cache) for the duration of the call and restores them, so it
    must not run concurrently with other osmnx calls in other threads.
    """
    bbox = _check_bounds(bounds)
    label = f"bbox ({', '.join(f'{value:g}' for value in bbox)})"
    settings = {
        "default_crs": "epsg:4326",
        "cache_only_mode": False,
        "requests_timeout": float(timeout_s),
        "use_cache": cache_dir is not None,
        "cache_folder": Path(cache_dir) if cache_dir is not None else ox.settings.cache_folder,
    }
    with _osmnx_settings(**settings):
        try:
            # osmnx 2 takes bbox=(left, bottom, right, top), our (x, y) order
            features = _or_empty(ox.features_from_bbox, bbox, tags=osmnx_tags(tags))
            graph = _or_none(ox.graph_from_bbox, bbox, network_type="drive", simplify=True, retain_all=True)
        except (OSError, ResponseStatusCodeError) as error:
            # requests' exceptions derive from OSError (IOError); osmnx raises
            # ResponseStatusCodeError for an HTTP error status from Overpass
            raise InputDataError(
                f"OpenStreetMap download failed for {label}: {_one_line(error)}; "
                "give a local extract with --osm FILE"
            ) from None
    if graph is not None:
        graph = ox.project_graph(graph, to_crs=WORKING_CRS)
    return _extract(features, graph, origin=f"Overpass download, {label}")


# --------------------------------------------------------------------------
# Helpers


def _extract(features: gpd.GeoDataFrame, graph: nx.MultiDiGraph | None, *, origin: str) -> OsmExtract:
    return OsmExtract(
        places=places_from_osm(features, origin=origin),
        corridors=corridors_from_osm(features, origin=origin),
        rivers=rivers_from_osm(features, origin=origin),
        graph=graph,
        source=origin,
    )


@contextmanager
def _osmnx_settings(**overrides: Any) -> Iterator[None]:
    """Set osmnx's global settings for one call, then restore them."""
    saved = {name: getattr(ox.settings, name) for name in overrides}
    try:
        for name, value in overrides.items():
            setattr(ox.settings, name, value)
        yield
    finally:
        for name, value in saved.items():
            setattr(ox.settings, name, value)


def _or_empty(function: Any, *args: Any, **kwargs: Any) -> gpd.GeoDataFrame:
    """Call an osmnx features function; no matching feature is an empty frame."""
    try:
        return function(*args, **kwargs)
    except InsufficientResponseError:
        index = pd.MultiIndex.from_arrays([[], []], names=["element", "id"])
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs="EPSG:4326", index=index), index=index)


def _or_none(function: Any, *args: Any, **kwargs: Any) -> nx.MultiDiGraph | None:
    """Call an osmnx graph function; no road is ``None``."""
    try:
        return function(*args, **kwargs)
    except InsufficientResponseError:
        return None


def _road_graph_from_xml(path: Path) -> nx.MultiDiGraph | None:
    """The simplified road graph of an OSM XML file, in EPSG:32643.

    osmnx builds a graph of every way in a file (rivers, railways, footways
    too) and keeps every node, so the graph is read unsimplified, cut down to
    the road edges (which also drops the place nodes) and simplified after.
    """
    graph = _or_none(ox.graph_from_xml, path, simplify=False, retain_all=True)
    if graph is None:
        return None
    roads = [
        (u, v, key)
        for u, v, key, data in graph.edges(keys=True, data=True)
        if "highway" in data and data["highway"] not in NON_ROAD_HIGHWAYS and data.get("area") != "yes"
    ]
    if not roads:
        return None
    graph = graph.edge_subgraph(roads).copy()
    graph = ox.simplify_graph(graph)
    return ox.project_graph(graph, to_crs=WORKING_CRS)


def _check_osm_root(path: Path) -> None:
    """Fail early, with a clear message, on a file that is not OSM XML at all."""
    opener = {".gz": gzip.open, ".bz2": bz2.open}.get(path.suffix, open)
    try:
        with opener(path, "rb") as file:
            _, root = next(ET.iterparse(file, events=("start",)))
    except (ET.ParseError, OSError, EOFError, StopIteration) as error:
        raise InputDataError(f"{path}: not a readable OSM XML file ({_one_line(error)})") from None
    if root.tag != "osm":
        raise InputDataError(f"{path}: not OSM XML (root element <{root.tag}>, expected <osm>)")


def _check_bounds(bounds: Sequence[float]) -> tuple[float, float, float, float]:
    try:
        west, south, east, north = (float(value) for value in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be four numbers (west, south, east, north), got {bounds!r}") from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ValueError(
            f"bounds must be (west, south, east, north) in degrees with west < east and "
            f"south < north, got {bounds!r}"
        )
    return west, south, east, north


def _one_line(error: BaseException) -> str:
    """An exception as one line: its type when it has no message."""
    text = " ".join(str(error).split())
    return text or type(error).__name__
