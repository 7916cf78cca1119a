"""Reference layers from OpenStreetMap instead of the shipped approximate tables.

OpenStreetMap (OSM) data arrive either as a local OSM XML extract
(:func:`read_osm_xml`) or from the Overpass API (:func:`download_osm`); both
go through osmnx and give the same :class:`OsmExtract`: places, transport
corridors and rivers as :class:`~alatau_geo.core.layers.Layer` objects in the
working CRS (EPSG:32643), with the same columns as the table-based layers,
plus an optional road graph.

The converters :func:`places_from_osm`, :func:`corridors_from_osm` and
:func:`rivers_from_osm` take any osmnx features GeoDataFrame (indexed by
``(element, id)``) and select the features they need themselves, so a frame
fetched with broader tags can be passed as it is.

Names follow OSM's multilingual keys: ``name_en`` is ``name:en``, else
``int_name``, else ``name`` (used as it is, not transliterated); ``name_kk``
is ``name:kk``; ``name_ru`` is ``name:ru``, else ``name``. A missing name is
``None``.

OSM data are (c) OpenStreetMap contributors, available under the Open
Database Licence (ODbL); the provenance of every layer says so.
"""

from __future__ import annotations

import bz2
import gzip
import xml.etree.ElementTree as ET
import xml.sax
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import geopandas as gpd
import networkx as nx
import osmnx as ox
import pandas as pd
import shapely

# osmnx 2 defines its exceptions in a private module and exports no public
# alias; these two are the ones its readers and downloaders document.
from osmnx._errors import InsufficientResponseError, ResponseStatusCodeError

from alatau_geo.core.crs import WORKING_CRS, to_working
from alatau_geo.core.errors import InputDataError, LayerError
from alatau_geo.core.layers import Layer, Provenance

TagFilter = Mapping[str, bool | str | Sequence[str]]
Member = tuple[tuple[str, int], dict[str, Any]]  # ((element, osmid), tags with geometry)

PLACE_TAGS: TagFilter = MappingProxyType(
    {"place": ("city", "town", "village", "hamlet"), "aeroway": ("aerodrome",)}
)
"""OSM tags of the features that become gazetteer places."""

CORRIDOR_TAGS: TagFilter = MappingProxyType(
    {"highway": ("motorway", "trunk", "primary"), "railway": ("rail",)}
)
"""OSM tags of the ways that become transport corridors."""

RIVER_TAGS: TagFilter = MappingProxyType({"waterway": ("river",)})
"""OSM tags of the ways that become rivers."""

DEFAULT_TAGS: TagFilter = MappingProxyType({**PLACE_TAGS, **CORRIDOR_TAGS, **RIVER_TAGS})
"""Every tag the three layers use: what :func:`read_osm_xml` and :func:`download_osm` ask for."""

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

PLACE_COLUMNS = ("id", "name_en", "name_kk", "name_ru", "kind", "position_quality", "source")
CORRIDOR_COLUMNS = ("id", "name_en", "name_kk", "name_ru", "kind", "ref", "schematic", "source")
RIVER_COLUMNS = ("id", "name_en", "name_kk", "name_ru", "kind", "source")

ATTRIBUTION = "OpenStreetMap contributors (ODbL)"
_LINE_TYPES = frozenset({"LineString", "MultiLineString"})


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


# --------------------------------------------------------------------------
# Converters: osmnx features -> layers


def places_from_osm(features: gpd.GeoDataFrame, *, origin: str = "features given by the caller") -> Layer:
    """Gazetteer places from osmnx features.

    Parameters
    ----------
    features : GeoDataFrame
        osmnx features indexed by ``(element, id)``, any CRS.
    origin : str
        Where the features came from (a file, "Overpass download ..."),
        recorded in the provenance.

    Returns
    -------
    Layer
        ``places_osm``: one point per feature tagged as in :data:`PLACE_TAGS`,
        columns ``id`` (``osm-<element>-<osmid>``), ``name_en``, ``name_kk``,
        ``name_ru``, ``kind`` (the ``place`` value, or ``airport``),
        ``position_quality`` (``openstreetmap``), ``source``. Areas are
        reduced to a point on their surface.
    """
    selected = _select(features, PLACE_TAGS, what="places")
    records = []
    for (element, osmid), tags in _rows(selected):
        geometry = tags["geometry"]
        if geometry.geom_type != "Point":
            # an airport or a town mapped as an area: a point that is
            # guaranteed to lie on it, unlike a centroid
            geometry = geometry.representative_point()
        records.append(
            {
                "id": _feature_id(element, osmid),
                **_names(tags),
                "kind": "airport" if tags.get("aeroway") == "aerodrome" else tags.get("place"),
                "position_quality": "openstreetmap",
                "source": _source_text([(element, osmid)]),
                "geometry": geometry,
            }
        )
    provenance = _provenance(
        origin,
        method="OSM elements tagged as in the parameters; areas reduced to a point on "
        "their surface; projected to EPSG:32643",
        tags=PLACE_TAGS,
    )
    return Layer("places_osm", _frame(records, PLACE_COLUMNS), provenance, "Places (OpenStreetMap)").sorted()


def corridors_from_osm(features: gpd.GeoDataFrame, *, origin: str = "features given by the caller") -> Layer:
    """Transport corridors (highways, railways) from osmnx features.

    The ways of one route are merged with :func:`shapely.line_merge`, so a
    road mapped as many ways comes out as one feature. A route is a
    ``(kind, ref)`` pair, or ``(kind, name)`` for a way without ``ref``; a
    way with neither stays a feature of its own.

    Parameters
    ----------
    features : GeoDataFrame
        osmnx features indexed by ``(element, id)``, any CRS.
    origin : str
        Where the features came from, recorded in the provenance.

    Returns
    -------
    Layer
        ``corridors_osm``: columns ``id`` (``osm-<element>-<osmid>`` of the
        route's lowest way id), ``name_en``, ``name_kk``, ``name_ru``,
        ``kind`` (``highway`` or ``railway``), ``ref``, ``schematic``
        (``False``), ``source`` (the OSM ways merged); LineString where the
        ways join end to end, MultiLineString otherwise (e.g. dual
        carriageways).
    """
    selected = _lines(_select(features, CORRIDOR_TAGS, what="corridors"))
    kinds = pd.Series("railway", index=selected.index)
    if "highway" in selected.columns:
        kinds[_matches(selected, {"highway": CORRIDOR_TAGS["highway"]})] = "highway"
    records = []
    for members, geometry in _merged_routes(selected, kinds, by_ref=True, directed=False):
        records.append(
            {
                **_route_fields(members),
                "kind": kinds[members[0][0]],
                "ref": _first_text(members, "ref"),
                "schematic": False,
                "geometry": geometry,
            }
        )
    provenance = _provenance(
        origin,
        method="OSM ways tagged as in the parameters, merged per (kind, ref or name) "
        "with shapely.line_merge; projected to EPSG:32643",
        tags=CORRIDOR_TAGS,
    )
    frame = _frame(records, CORRIDOR_COLUMNS).astype({"schematic": bool})
    return Layer("corridors_osm", frame, provenance, "Transport corridors (OpenStreetMap)").sorted()


def rivers_from_osm(features: gpd.GeoDataFrame, *, origin: str = "features given by the caller") -> Layer:
    """Rivers from osmnx features, the ways of one river merged per name.

    Parameters
    ----------
    features : GeoDataFrame
        osmnx features indexed by ``(element, id)``, any CRS.
    origin : str
        Where the features came from, recorded in the provenance.

    Returns
    -------
    Layer
        ``rivers_osm``: columns ``id``, ``name_en``, ``name_kk``,
        ``name_ru``, ``kind`` (``river``), ``source``; lines in the direction
        OSM draws them (downstream, by OSM convention) where the merge keeps it.
    """
    selected = _lines(_select(features, RIVER_TAGS, what="rivers"))
    kinds = pd.Series("river", index=selected.index)
    records = [
        {**_route_fields(members), "kind": "river", "geometry": geometry}
        for members, geometry in _merged_routes(selected, kinds, by_ref=False, directed=True)
    ]
    provenance = _provenance(
        origin,
        method="OSM ways tagged as in the parameters, merged per name with "
        "shapely.line_merge; projected to EPSG:32643",
        tags=RIVER_TAGS,
    )
    return Layer("rivers_osm", _frame(records, RIVER_COLUMNS), provenance, "Rivers (OpenStreetMap)").sorted()


# --------------------------------------------------------------------------
# Readers


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
        list of values). Features outside :data:`DEFAULT_TAGS` are read but
        not used by any layer.

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
            features = _or_empty(ox.features_from_xml, path, tags=_osmnx_tags(tags))
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
            features = _or_empty(ox.features_from_bbox, bbox, tags=_osmnx_tags(tags))
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


def _osmnx_tags(tags: TagFilter) -> dict[str, bool | str | list[str]]:
    """Tags in the form osmnx filters on (it recognises lists, not tuples)."""
    return {key: value if isinstance(value, (bool, str)) else list(value) for key, value in tags.items()}


def _matches(features: gpd.GeoDataFrame, tags: TagFilter) -> pd.Series:
    """Rows with any of `tags`, as osmnx's own tag filter reads them."""
    mask = pd.Series(False, index=features.index)
    for key, value in tags.items():
        if key not in features.columns:
            continue
        if value is True:
            mask |= features[key].notna()
        elif isinstance(value, str):
            mask |= features[key] == value
        elif value is not False:
            mask |= features[key].isin(list(value))
    return mask


def _select(features: gpd.GeoDataFrame, tags: TagFilter, *, what: str) -> gpd.GeoDataFrame:
    """The features with any of `tags`, in the working CRS."""
    if list(features.index.names) != ["element", "id"]:
        raise LayerError(
            f"OSM {what}: expected an osmnx features frame indexed by (element, id), "
            f"got index {list(features.index.names)}"
        )
    selected = features[_matches(features, tags)]
    selected = selected[~(selected.geometry.isna() | selected.geometry.is_empty)]
    return to_working(selected, what=f"OSM {what}")


def _lines(features: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    # closed ways tagged as areas come out of osmnx as polygons: not routes
    return features[features.geometry.geom_type.isin(_LINE_TYPES)]


def _rows(features: gpd.GeoDataFrame) -> Iterator[tuple[tuple[str, int], dict[str, Any]]]:
    """(element, osmid) and the tags (with ``geometry``) of each feature.

    Records rather than itertuples: OSM keys such as ``name:en`` are not
    valid attribute names.
    """
    yield from zip(features.index, features.to_dict("records"), strict=True)


def _text(tags: Mapping[str, Any], *keys: str) -> str | None:
    """The first of `keys` with a non-empty text value."""
    for key in keys:
        value = tags.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _names(tags: Mapping[str, Any]) -> dict[str, str | None]:
    return {
        "name_en": _text(tags, "name:en", "int_name", "name"),
        "name_kk": _text(tags, "name:kk"),
        "name_ru": _text(tags, "name:ru", "name"),
    }


def _feature_id(element: str, osmid: int) -> str:
    return f"osm-{element}-{osmid}"


def _source_text(members: Sequence[tuple[str, int]]) -> str:
    return "OpenStreetMap " + ", ".join(f"{element}/{osmid}" for element, osmid in members)


def _merged_routes(
    features: gpd.GeoDataFrame, kinds: pd.Series, *, by_ref: bool, directed: bool
) -> Iterator[tuple[list[Member], shapely.Geometry]]:
    """Group features into routes and merge each route's lines.

    Yields the members of each route, lowest (element, id) first, and the
    merged geometry. With `directed`, lines join only head to tail, so a
    river keeps its flow direction; roads and railways are drawn either way.
    """
    routes: dict[tuple[str, ...], list[Member]] = {}
    for key, tags in _rows(features):
        ref = _text(tags, "ref") if by_ref else None
        name = _text(tags, "name", "name:en")
        if ref is not None:
            route = (kinds[key], "ref", ref)
        elif name is not None:
            route = (kinds[key], "name", name)
        else:
            route = (kinds[key], "element", *map(str, key))
        routes.setdefault(route, []).append((key, tags))
    for members in routes.values():
        members.sort(key=lambda member: member[0])
        if len(members) == 1:
            yield members, members[0][1]["geometry"]
            continue
        # a plain multi-part line, not a union: a union would also split the
        # lines where they cross (flyovers, braided channels)
        parts = shapely.get_parts([tags["geometry"] for _, tags in members])
        yield members, shapely.line_merge(shapely.MultiLineString(list(parts)), directed=directed)


def _first_text(members: Sequence[Member], key: str) -> str | None:
    return next((value for _, tags in members if (value := _text(tags, key)) is not None), None)


def _route_fields(members: Sequence[Member]) -> dict[str, Any]:
    """Id, names and source of a merged route: the first way that has each."""
    (element, osmid), _ = members[0]
    names = [_names(tags) for _, tags in members]
    return {
        "id": _feature_id(element, osmid),
        **{column: next((n[column] for n in names if n[column] is not None), None) for column in names[0]},
        "source": _source_text([key for key, _ in members]),
    }


def _frame(records: list[dict[str, Any]], columns: Sequence[str]) -> gpd.GeoDataFrame:
    """A GeoDataFrame in the working CRS with exactly `columns` and geometry, empty or not."""
    data = pd.DataFrame.from_records(records, columns=[*columns, "geometry"])
    geometry = gpd.GeoSeries(data.pop("geometry"), crs=WORKING_CRS)
    data = data.astype(object).where(data.notna(), None)
    return gpd.GeoDataFrame(data, geometry=geometry, crs=WORKING_CRS)


def _provenance(origin: str, *, method: str, tags: TagFilter) -> Provenance:
    return Provenance(
        source=f"{ATTRIBUTION} via osmnx {ox.__version__}, {origin}",
        method=method,
        parameters={"osm_tags": _osmnx_tags(tags)},
        quality="derived",
    )


def _one_line(error: BaseException) -> str:
    """An exception as one line: its type when it has no message."""
    text = " ".join(str(error).split())
    return text or type(error).__name__
