"""Self-contained pages: Leaflet and its plugins inlined from the copies in ``alatau_geo/vendor``.

folium writes ``<script src>`` and ``<link href>`` tags pointing at CDNs
(``folium.Map.default_js``, each plugin's ``default_js``/``default_css``). A
map must open on a laptop in the field with no network, so every map is a
:class:`SelfContainedMap`, which replaces each of those tags with the file's
content, read from the npm packages shipped in ``alatau_geo/vendor`` (see
its ``README.md``). Images the style sheets refer to become ``data:`` URLs.

Each page carries a Content-Security-Policy: it may run only its own inline
code, show ``data:`` images and, unless it is an offline map, the tiles of
the online base maps' hosts (:data:`TILE_HOSTS`); it can fetch nothing else.

The table is keyed by the exact CDN URL folium asks for, version included.
When a folium upgrade asks for another version, rendering fails with an
:class:`~alatau_geo.core.errors.ExportError` naming the URL instead of quietly
pairing new folium code with an old copy: vendor the new version and add
its URL here.

Dropped on purpose (:data:`DROPPED_URLS`): jQuery, Bootstrap, the Glyphicons
and Font Awesome icon fonts and Leaflet.awesome-markers. These maps draw
points as circle markers or as badges (``L.divIcon`` with plain HTML and
CSS, see :func:`alatau_geo.maps.popups.badge_icon`) and build popups as
plain HTML, so nothing uses them, and the icon fonts would be fetched from
the network. An offline map therefore cannot show ``folium.Icon`` markers.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import PurePosixPath
from typing import Any, Literal

import folium
from branca.element import CssLink, Figure, JavascriptLink

from alatau_geo.core.errors import ExportError
from alatau_geo.maps.elements import RenderedText, RenderOnce

__all__ = [
    "ASSETS",
    "DROPPED_URLS",
    "SelfContainedMap",
    "VendoredAsset",
    "content_security_policy",
    "external_resources",
]


@dataclass(frozen=True)
class VendoredAsset:
    """A JS or CSS file from an npm package copied into ``alatau_geo/vendor``.

    Attributes
    ----------
    package, version : str
        npm package name and exact version.
    path : str
        Path inside the package (as in the npm tarball, without ``package/``).
    kind : {'js', 'css'}
    """

    package: str
    version: str
    path: str
    kind: Literal["js", "css"]

    @property
    def vendor_path(self) -> PurePosixPath:
        """Path relative to ``alatau_geo/vendor`` (a scoped package's folder drops its ``@scope/``)."""
        return PurePosixPath(f"{self.package.split('/')[-1]}-{self.version}") / self.path


def _asset(package: str, version: str, path: str) -> VendoredAsset:
    kind: Literal["js", "css"] = "css" if path.endswith(".css") else "js"
    return VendoredAsset(package, version, path, kind)


_JSDELIVR = "https://cdn.jsdelivr.net"
_CDNJS = "https://cdnjs.cloudflare.com/ajax/libs"
_UNPKG = "https://unpkg.com"

# The CDN URLs folium 0.20 declares, and the vendored file that replaces each.
# Where the CDN serves a minified build the npm package lacks (jsDelivr
# minifies on the fly), the unminified file of the same version is used.
ASSETS: dict[str, VendoredAsset] = {
    f"{_JSDELIVR}/npm/leaflet@1.9.3/dist/leaflet.js": _asset("leaflet", "1.9.3", "dist/leaflet.js"),
    f"{_JSDELIVR}/npm/leaflet@1.9.3/dist/leaflet.css": _asset("leaflet", "1.9.3", "dist/leaflet.css"),
    f"{_JSDELIVR}/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.js": _asset(
        "leaflet-measure", "2.1.7", "dist/leaflet-measure.min.js"
    ),
    f"{_JSDELIVR}/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.css": _asset(
        "leaflet-measure", "2.1.7", "dist/leaflet-measure.css"
    ),
    f"{_JSDELIVR}/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js": _asset(
        "leaflet.fullscreen", "3.0.0", "Control.FullScreen.js"
    ),
    f"{_JSDELIVR}/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css": _asset(
        "leaflet.fullscreen", "3.0.0", "Control.FullScreen.css"
    ),
    f"{_CDNJS}/leaflet-minimap/3.6.1/Control.MiniMap.js": _asset(
        "leaflet-minimap", "3.6.1", "dist/Control.MiniMap.min.js"
    ),
    f"{_CDNJS}/leaflet-minimap/3.6.1/Control.MiniMap.css": _asset(
        "leaflet-minimap", "3.6.1", "dist/Control.MiniMap.min.css"
    ),
    f"{_JSDELIVR}/npm/leaflet-search@2.9.7/dist/leaflet-search.min.js": _asset(
        "leaflet-search", "2.9.7", "dist/leaflet-search.min.js"
    ),
    f"{_JSDELIVR}/npm/leaflet-search@2.9.7/dist/leaflet-search.min.css": _asset(
        "leaflet-search", "2.9.7", "dist/leaflet-search.min.css"
    ),
    f"{_CDNJS}/leaflet-groupedlayercontrol/0.6.1/leaflet.groupedlayercontrol.min.js": _asset(
        "leaflet-groupedlayercontrol", "0.6.1", "dist/leaflet.groupedlayercontrol.min.js"
    ),
    f"{_CDNJS}/leaflet-groupedlayercontrol/0.6.1/leaflet.groupedlayercontrol.min.css": _asset(
        "leaflet-groupedlayercontrol", "0.6.1", "dist/leaflet.groupedlayercontrol.min.css"
    ),
    f"{_CDNJS}/leaflet.markercluster/1.1.0/leaflet.markercluster.js": _asset(
        "leaflet.markercluster", "1.1.0", "dist/leaflet.markercluster.js"
    ),
    f"{_CDNJS}/leaflet.markercluster/1.1.0/MarkerCluster.css": _asset(
        "leaflet.markercluster", "1.1.0", "dist/MarkerCluster.css"
    ),
    f"{_CDNJS}/leaflet.markercluster/1.1.0/MarkerCluster.Default.css": _asset(
        "leaflet.markercluster", "1.1.0", "dist/MarkerCluster.Default.css"
    ),
    # folium 0.20's GeoMan asks unpkg for "@latest"; the page gets this pinned version.
    f"{_UNPKG}/@geoman-io/leaflet-geoman-free@latest/dist/leaflet-geoman.js": _asset(
        "@geoman-io/leaflet-geoman-free", "2.20.2", "dist/leaflet-geoman.min.js"
    ),
    f"{_UNPKG}/@geoman-io/leaflet-geoman-free@latest/dist/leaflet-geoman.css": _asset(
        "@geoman-io/leaflet-geoman-free", "2.20.2", "dist/leaflet-geoman.css"
    ),
}

DROPPED_URLS: frozenset[str] = frozenset(
    {
        "https://code.jquery.com/jquery-3.7.1.min.js",
        f"{_JSDELIVR}/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js",
        f"{_JSDELIVR}/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css",
        "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css",
        f"{_CDNJS}/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js",
        f"{_CDNJS}/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css",
        f"{_JSDELIVR}/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css",
        f"{_JSDELIVR}/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css",
    }
)

# Hosts the online base maps load their tiles from (see alatau_geo.maps.basemaps.TILE_BASES).
TILE_HOSTS: tuple[str, ...] = ("https://server.arcgisonline.com", "https://tile.openstreetmap.org")


def content_security_policy(*, offline: bool) -> str:
    """The page's Content-Security-Policy (sent as a ``<meta>`` tag).

    The page may run its own inline code and show ``data:`` images; an online
    page may also show the tiles of :data:`TILE_HOSTS`. Nothing else can be
    fetched, so a forgotten CDN link fails loudly in the browser console
    instead of leaking a request. ``'unsafe-eval'`` is needed by
    leaflet-measure, which compiles its templates with ``Function()`` when
    the control is added.

    Examples
    --------
    >>> "img-src data:;" in content_security_policy(offline=True)
    True
    >>> "https://tile.openstreetmap.org" in content_security_policy(offline=False)
    True
    """
    images = "data:" if offline else " ".join(("data:", *TILE_HOSTS))
    return (
        f"default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
        f"img-src {images}; font-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'"
    )


_MEDIA_TYPES = {".png": "image/png", ".gif": "image/gif", ".svg": "image/svg+xml"}
# A url() with a quoted or unquoted reference; a quoted one may hold brackets (inline SVG).
_CSS_URL = re.compile(r"""url\(\s*(?:'([^']*)'|"([^"]*)"|([^'")\s]+))\s*\)""")
_CLOSING_TAG = re.compile(r"</(script|style)", re.IGNORECASE)


def _vendor_file(path: PurePosixPath) -> bytes:
    resource = resources.files("alatau_geo").joinpath("vendor", *path.parts)
    try:
        return resource.read_bytes()
    except OSError as error:
        raise ExportError(
            f"vendored file alatau_geo/vendor/{path} is missing ({error}); reinstall alatau-geo"
        ) from None


def _data_url(asset: VendoredAsset, reference: str) -> str:
    if reference.startswith(("data:", "#", "%23")):
        return reference  # already inline, or a fragment (inside an inline SVG) that fetches nothing
    if "://" in reference or reference.startswith("//"):
        raise ExportError(f"{asset.vendor_path} refers to {reference}, which an offline map cannot fetch")
    target = PurePosixPath(asset.vendor_path.parent, reference)
    parts: list[str] = []
    for part in target.parts:  # resolve "../images/x.png" without touching the file system
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    resolved = PurePosixPath(*parts)
    media_type = _MEDIA_TYPES.get(resolved.suffix.lower())
    if media_type is None:
        raise ExportError(f"{asset.vendor_path}: cannot inline {reference} (unknown file type)")
    return f"data:{media_type};base64," + base64.b64encode(_vendor_file(resolved)).decode("ascii")


def _css_url(asset: VendoredAsset, match: re.Match[str]) -> str:
    reference = next(group for group in match.groups() if group is not None).strip()
    if reference.startswith("data:"):
        return match.group(0)  # already inline: keep it byte for byte, quotes included
    return f'url("{_data_url(asset, reference)}")'


@functools.cache
def inline_markup(asset: VendoredAsset) -> str:
    """The ``<script>`` or ``<style>`` element carrying `asset`'s content.

    Raises
    ------
    ExportError
        If the file is missing, contains a closing ``</script`` or ``</style``
        tag (which would end the element early), or its style sheet refers to
        a file that cannot be inlined.
    """
    text = _vendor_file(asset.vendor_path).decode("utf-8")
    if _CLOSING_TAG.search(text):
        raise ExportError(f"{asset.vendor_path} contains a closing script/style tag and cannot be inlined")
    if asset.kind == "css":
        css = _CSS_URL.sub(lambda match: _css_url(asset, match), text)
        return f"<style>/* {asset.package} {asset.version}: {asset.path} */\n{css}</style>"
    return f"<script>/* {asset.package} {asset.version}: {asset.path} */\n{text}</script>"


def inline_assets(figure: Figure) -> None:
    """Replace every CDN script and style-sheet link in `figure`'s header with inline content.

    Raises
    ------
    ExportError
        If a link has no vendored copy (see :data:`ASSETS`).
    """
    header = figure.header
    for name, child in list(header._children.items()):
        if not isinstance(child, (JavascriptLink, CssLink)):
            continue
        if child.url in DROPPED_URLS:
            del header._children[name]
        elif child.url in ASSETS:
            replacement = RenderedText(inline_markup(ASSETS[child.url]))
            replacement._parent = header
            header._children[name] = replacement  # same key: same position, so load order is kept
        else:
            raise ExportError(
                f"offline map: no vendored copy of {child.url} ({name}); add it to alatau_geo/vendor "
                "and alatau_geo.maps.assets.ASSETS, or build the map with offline=False"
            )


class SelfContainedMap(folium.Map, RenderOnce):
    """A :class:`folium.Map` whose page carries every script and style it needs.

    Rendering inlines Leaflet and the plugins from ``alatau_geo/vendor`` and
    adds a Content-Security-Policy (:func:`content_security_policy`), so the
    page opens from a USB stick and cannot call out except, unless
    `offline`, for the tiles of the online base maps.

    Parameters
    ----------
    *args, **kwargs
        As for :class:`folium.Map`.
    offline : bool
        Whether the page may load nothing at all (no online base maps).
    """

    def __init__(self, *args: Any, offline: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offline = offline

    def render(self, **kwargs: object) -> None:
        """Render as folium does, then inline the assets the elements asked for."""
        super().render(**kwargs)
        figure = self.get_root()
        if isinstance(figure, Figure):
            policy = content_security_policy(offline=self.offline)
            csp = RenderedText(f'<meta http-equiv="Content-Security-Policy" content="{policy}">')
            figure.header.add_child(csp, name="content_security_policy", index=1)
            inline_assets(figure)


_EXTERNAL = re.compile(
    r"""<(?:script|img|iframe|source|embed)\b[^>]*?\ssrc\s*=\s*["']?(?:https?:)?//"""
    r"""|<link\b[^>]*?\shref\s*=\s*["']?(?:https?:)?//"""
    r"""|url\(\s*["']?(?:https?:)?//"""
    r"""|@import\b""",
    re.IGNORECASE,
)


def external_resources(html: str) -> list[str]:
    """Snippets of `html` that would load something from another host.

    Script, image and frame ``src``, style-sheet ``href``, CSS ``url()`` and
    ``@import``; plain ``<a href>`` links are not loads and are not reported.

    Examples
    --------
    >>> external_resources('<script src="https://cdn.example/x.js"></script><a href="https://a.b">a</a>')
    ['<script src="https://']
    """
    found, end = [], 0
    for start in sorted(_possible_starts(html)):
        match = _EXTERNAL.match(html, start) if start >= end else None
        if match is not None:
            found.append(match.group(0))
            end = match.end()
    return found


# Where a match of _EXTERNAL can start, and how far before the found character. Each pattern
# begins with one plain character, which the engine skips to quickly: the case-blind pattern
# itself, tried at every offset of a page of megabytes, takes about 50 ms, and a build checks
# eight pages.
_STARTS = (
    (re.compile(r"<(?i:script|img|iframe|source|embed|link)"), 0),
    (re.compile(r"\((?<=(?i:url)\()"), len("url")),
    (re.compile(r"@(?i:import)"), 0),
)


def _possible_starts(html: str) -> Iterator[int]:
    """Every offset in `html` where an alternative of :data:`_EXTERNAL` could match."""
    for pattern, before in _STARTS:
        for match in pattern.finditer(html):
            yield match.start() - before
