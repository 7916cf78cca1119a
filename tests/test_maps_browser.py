"""The offline maps in a real browser: headless Chromium driven by Playwright.

Needs Debian's chromium at /usr/bin/chromium (``scripts/install-browser.sh``)
and ``pip install playwright``; never ``playwright install``, which
downloads browsers. Without them these tests skip, unless
``ALATAU_REQUIRE_BROWSER=1`` (CI), which turns the skip into a failure.

Pages are opened from file:// URLs. Every request is recorded and anything
that is not file:// or data: is aborted and fails the test, so the maps are
proven to work with no network.
"""

# The fixtures are imported from conftest_maps (tests/conftest.py belongs to the lead),
# so pytest's parameter names shadow the imports by design.
# ruff: noqa: F811

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from alatau_geo.core.layers import LayerSet
from alatau_geo.maps import (
    infrastructure_map,
    overview_map,
    proximity_map,
    render_html,
    terrain_map,
)
from alatau_geo.maps.assets import ASSETS, DROPPED_URLS
from alatau_geo.maps.png import encode_paletted_png
from browser_support import open_browser
from conftest_maps import (  # noqa: F401
    XSS_IMG,
    XSS_NAME,
    full_dem_path,
    layer_set,
    plan_layer_set,
    proximity_layer_set,
)

# Screenshots for a person to look at; outside the checkout, so a test run leaves it clean.
SCREENSHOTS = Path(os.environ.get("ALATAU_SCREENSHOTS") or Path(tempfile.gettempdir()) / "alatau-geo-screenshots")
VENDOR = Path(__file__).resolve().parents[1] / "src" / "alatau_geo" / "vendor"
RENDER_BUDGET_MS = 2000
# The map object folium creates is a global named after the map's <div>.
_MAP = "window[document.querySelector('.folium-map').id]"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with open_browser() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory,
    layer_set: LayerSet,
    plan_layer_set: LayerSet,
    proximity_layer_set: LayerSet,
    full_dem_path: Path,
) -> Path:
    """The offline maps written as the build writes them: maps/*.html next to layers/."""
    root = tmp_path_factory.mktemp("site")
    (root / "maps").mkdir()
    (root / "layers").mkdir()
    (root / "maps" / "overview.html").write_text(
        render_html(overview_map(layer_set, dem_path=full_dem_path, offline=True)), encoding="utf-8"
    )
    (root / "maps" / "terrain.html").write_text(
        render_html(terrain_map(layer_set, dem_path=full_dem_path, offline=True)), encoding="utf-8"
    )
    (root / "maps" / "infrastructure.html").write_text(
        render_html(infrastructure_map(plan_layer_set, dem_path=full_dem_path, offline=True)), encoding="utf-8"
    )
    (root / "maps" / "proximity.html").write_text(
        render_html(proximity_map(proximity_layer_set, dem_path=full_dem_path, offline=True)), encoding="utf-8"
    )
    (root / "maps" / "overview_online.html").write_text(
        render_html(overview_map(layer_set, dem_path=full_dem_path, offline=False)), encoding="utf-8"
    )
    return root


@dataclass
class Visit:
    """An open page and everything it did."""

    page: Any
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.blocked == [], f"requests leaving the machine: {self.blocked}"
        assert self.errors == [], f"console errors: {self.errors}"
        assert self.dialogs == [], f"dialogs fired: {self.dialogs}"

    def settle(self) -> None:
        """Close any popup and wait until the map stops moving (popups pan the map into view)."""
        self.page.evaluate(f"{_MAP}.closePopup()")
        self.page.wait_for_timeout(400)

    def point_of(self, layer_title: str, feature_id: str | int) -> tuple[float, float]:
        """Page coordinates of a point feature's marker, or of a line's second vertex.

        Ids are unique within a layer only; the popup footer names the layer.
        """
        point = self.page.evaluate(
            """([footer]) => {
                const element = document.querySelector('.folium-map');
                const map = window[element.id];
                let latlng = null;
                map.eachLayer(layer => {
                    if (layer.feature && layer.feature.properties.popup_html.includes(footer)) {
                        latlng = layer.getLatLng ? layer.getLatLng() : layer.getLatLngs()[1];
                    }
                });
                const p = map.latLngToContainerPoint(latlng);
                const box = element.getBoundingClientRect();
                return [box.left + p.x, box.top + p.y];
            }""",
            [f"{layer_title} · id {feature_id}"],
        )
        return point[0], point[1]


    def node_point(self, feature_id: int, *, zoom: int) -> tuple[float, float]:
        """Page coordinates of a travel-time node (a feature with shared-popup values), centred at `zoom`."""
        point = self.page.evaluate(
            """([id, zoom]) => {
                const element = document.querySelector('.folium-map');
                const map = window[element.id];
                let node = null;
                map.eachLayer(layer => {
                    if (layer.feature && layer.feature.id === id && layer.feature.properties.v) { node = layer; }
                });
                map.setView(node.getLatLng(), zoom, {animate: false});
                const p = map.latLngToContainerPoint(node.getLatLng());
                const box = element.getBoundingClientRect();
                return [box.left + p.x, box.top + p.y];
            }""",
            [feature_id, zoom],
        )
        return point[0], point[1]

    def uncover(self, layer_title: str, feature_id: str) -> tuple[float, float]:
        """Page coordinates of a clustered point's badge, after zooming until its cluster opens.

        The map opens with an animated zoom to its extent; zoomToShowLayer
        started during it may never call back, so wait for it to end first.
        """
        self.page.wait_for_function(f"!{_MAP}._animatingZoom")
        self.page.wait_for_timeout(300)
        box = self.page.evaluate(
            """([footer]) => new Promise((resolve, reject) => {
                setTimeout(() => reject(new Error("marker not uncovered: " + footer)), 5000);
                const map = window[document.querySelector('.folium-map').id];
                let found = null, group = null;
                map.eachLayer(layer => {
                    if (layer instanceof L.MarkerClusterGroup) {
                        layer.eachLayer(marker => {
                            if (marker.feature.properties.popup_html.includes(footer)) {
                                found = marker; group = layer;
                            }
                        });
                    }
                });
                group.zoomToShowLayer(found, () => setTimeout(() => {
                    const r = found.getElement().getBoundingClientRect();
                    resolve([r.left + r.width / 2, r.top + r.height / 2]);
                }, 400));
            })""",
            [f"{layer_title} · id {feature_id}"],
        )
        return box[0], box[1]


@pytest.fixture
def visit(browser: Any, site: Path) -> Iterator[Any]:
    """Open a map page by name with recorders attached; yields a function name -> Visit."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    visits: list[Visit] = []

    def open_page(name: str) -> Visit:
        page = context.new_page()
        record = Visit(page)

        def route(route: Any) -> None:
            url = route.request.url
            if url.startswith(("file://", "data:")) or url.startswith(
                ("http://127.0.0.1", "http://localhost")
            ):
                route.continue_()
            else:
                record.blocked.append(url)
                route.abort()

        page.route("**/*", route)
        page.on("request", lambda request: record.requests.append(request.url))
        page.on("console", lambda message: message.type == "error" and record.errors.append(message.text))
        page.on("pageerror", lambda error: record.errors.append(str(error)))

        def on_dialog(dialog: Any) -> None:
            record.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.goto((site / "maps" / f"{name}.html").as_uri(), wait_until="load")
        page.wait_for_function(f"{_MAP} && {_MAP}._loaded === true")
        visits.append(record)
        return record

    yield open_page
    context.close()


def _render_ms(page: Any) -> float:
    # Folium's scripts are inline and run before the load event, so the map is
    # built by loadEventEnd (milliseconds from the start of navigation).
    return float(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"))


def _control_text(page: Any) -> str:
    return page.inner_text(".leaflet-control-layers")


def test_offline_overview_opens_clean_fast_and_fully_offline(visit: Any) -> None:
    opened = visit("overview")
    page = opened.page
    opened.assert_clean()
    assert all(url.startswith(("file://", "data:")) for url in opened.requests), opened.requests
    assert _render_ms(page) < RENDER_BUDGET_MS
    control = _control_text(page)
    for name in (
        "Shaded relief (SRTM 90 m)",
        "Boundaries",
        "Study area",
        "Water",
        "Water protection zone",
        "Water protection strip",
        "Kapchagay reservoir",
        "Streams",
        "Settlements and transport",
        "Transport corridors",
        "Places",
    ):
        assert name in control
    assert page.locator(".leaflet-image-layer").count() >= 1  # relief (and the mini map's copy)
    assert page.locator(".leaflet-control-minimap").count() == 1
    assert page.locator(".leaflet-control-measure").count() == 1
    assert page.locator(".leaflet-control-zoom-fullscreen, .fullscreen-icon").count() >= 1
    assert page.locator(".leaflet-control-scale").count() == 1
    assert "Places: City" in page.inner_text(".ag-legend")
    links = page.eval_on_selector_all(".ag-downloads a", "links => links.map(a => a.getAttribute('href'))")
    assert "../layers/places.geojson" in links and len(links) == 7
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "overview_offline.png"))


def test_clicking_a_place_opens_its_popup_with_units(visit: Any) -> None:
    opened = visit("overview")
    page = opened.page
    page.mouse.click(*opened.point_of("Places", "p2"))
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "Konaev" in text and "Қонаев" in text and "Конаев" in text
    assert "Elevation (m)" in text and "1,480" in text and "town" in text
    page.wait_for_timeout(300)  # the popup fades in
    page.screenshot(path=str(SCREENSHOTS / "overview_popup.png"))
    opened.assert_clean()


def test_hostile_names_show_as_text_and_run_nothing(visit: Any) -> None:
    opened = visit("overview")
    page = opened.page
    scripts_before = page.evaluate("document.scripts.length")
    page.mouse.click(*opened.point_of("Places", "p4"))
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert XSS_NAME in popup.inner_text()
    assert page.locator(".leaflet-popup-content script, .leaflet-popup-content img").count() == 0
    opened.settle()
    page.mouse.click(*opened.point_of("Streams", 2))  # the stream whose Kazakh name is an <img onerror>
    page.wait_for_function("document.querySelector('.leaflet-popup-content').innerText.includes('Talgar')")
    assert XSS_IMG in popup.inner_text()
    # Open every popup and tooltip on the map, then hover the hostile marker.
    page.evaluate(
        f"""() => {_MAP}.eachLayer(layer => {{
            if (layer.getPopup && layer.getPopup()) {{ layer.openPopup(); layer.closePopup(); }}
            if (layer.getTooltip && layer.getTooltip()) {{ layer.openTooltip(); layer.closeTooltip(); }}
        }})"""
    )
    page.mouse.move(*opened.point_of("Places", "p4"))
    page.locator(".leaflet-tooltip").wait_for()
    assert XSS_NAME in page.inner_text(".leaflet-tooltip")
    # The search box lists the name as text too.
    page.locator(".leaflet-control-search input").press_sequentially("<scr")
    tip = page.locator(".search-tooltip .search-tip").first
    tip.wait_for()
    assert tip.inner_text() == XSS_NAME
    assert page.locator(".search-tooltip script").count() == 0
    page.wait_for_timeout(200)  # let any injected handler fire before checking
    assert page.evaluate("document.scripts.length") == scripts_before
    opened.assert_clean()


def test_search_finds_a_place_and_opens_its_popup(visit: Any) -> None:
    opened = visit("overview")
    page = opened.page
    page.locator(".leaflet-control-search input").press_sequentially("Bais")
    tip = page.locator(".search-tooltip .search-tip").first
    tip.wait_for()
    assert tip.inner_text() == "Baiserke"
    tip.click()
    page.wait_for_function("document.querySelector('.leaflet-popup-content') !== null")
    page.wait_for_function("document.querySelector('.leaflet-popup-content').innerText.includes('Байсерке')")
    opened.assert_clean()


def test_offline_terrain_map_opens_clean_with_slope_classes(visit: Any) -> None:
    opened = visit("terrain")
    page = opened.page
    opened.assert_clean()
    assert _render_ms(page) < RENDER_BUDGET_MS
    control = _control_text(page)
    assert "Slope classes" in control and "Shaded relief (SRTM 90 m)" in control and "Places" in control
    legend = page.inner_text(".ag-legend")
    for label in ("Slope 0–2 %", "Slope 2–5 %", "Slope 5–10 %", "Slope 10–20 %", "Slope > 20 %"):
        assert label in legend
    loaded = page.eval_on_selector_all(
        ".leaflet-image-layer", "images => images.map(i => i.complete && i.naturalWidth > 0)"
    )
    assert len(loaded) >= 2 and all(loaded)
    # Switch the slope overlay off and on: the relief stays underneath, vectors stay on top.
    page.get_by_label("Slope classes").uncheck()
    page.get_by_label("Slope classes").check()
    page.screenshot(path=str(SCREENSHOTS / "terrain_offline.png"))
    opened.assert_clean()


PROJECTS = "Named investment projects"


def test_offline_infrastructure_map_opens_clean_with_clusters_and_badges(visit: Any) -> None:
    opened = visit("infrastructure")
    page = opened.page
    page.wait_for_function(f"!{_MAP}._animatingZoom")  # the opening zoom to the city
    page.wait_for_timeout(400)  # then the clusters fade in
    opened.assert_clean()
    assert all(url.startswith(("file://", "data:")) for url in opened.requests), opened.requests
    assert _render_ms(page) < RENDER_BUDGET_MS
    assert page.locator(".marker-cluster").count() >= 1  # the crowded objects are grouped
    assert page.locator(".marker-cluster.ag-cluster-square").count() >= 1  # and so are the projects
    assert page.locator(".ag-badge").count() >= 1
    assert page.locator("link[href^='http'], script[src^='http']").count() == 0
    control = _control_text(page)
    for name in ("Infrastructure and projects", "Priority engineering objects", PROJECTS, "Districts", "Places"):
        assert name in control
    legend = page.inner_text(".ag-legend")
    for label in ("Substation (SS)", "Water intake (WI)", "Wastewater treatment plant (WW)", "Gas pipeline"):
        assert label in legend
    assert page.get_attribute(".leaflet-control-search input", "placeholder") == "Search places and projects"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "infrastructure_offline.png"))
    # Past the clustering zoom every object is its own badge.
    page.evaluate(f"{_MAP}.setZoom(14, {{animate: false}})")
    page.wait_for_timeout(400)
    assert page.locator(".marker-cluster").count() == 0
    assert page.locator(".ag-badge").count() == 9  # 5 objects, 4 projects
    assert page.locator(".ag-badge[style*='dashed']").count() == 3  # 2 reconstructions, 1 broken rule
    page.screenshot(path=str(SCREENSHOTS / "infrastructure_badges.png"))
    opened.assert_clean()


def test_clicking_a_clustered_project_shows_its_company_and_sector(visit: Any) -> None:
    opened = visit("infrastructure")
    page = opened.page
    page.mouse.click(*opened.uncover(PROJECTS, "pepsico"))
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "PepsiCo production project" in text
    assert "Company\tPepsiCo" in text and "Sector\tfood industry" in text and "Status\tunder_way" in text
    page.wait_for_timeout(300)  # the popup fades in
    page.screenshot(path=str(SCREENSHOTS / "infrastructure_popup.png"))
    opened.assert_clean()


def test_hostile_project_names_run_nothing_and_search_finds_projects(visit: Any) -> None:
    opened = visit("infrastructure")
    page = opened.page
    scripts_before = page.evaluate("document.scripts.length")
    page.mouse.click(*opened.uncover(PROJECTS, "hostile"))
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert XSS_NAME in popup.inner_text() and XSS_IMG in popup.inner_text()
    injected = ".leaflet-popup-content script, .leaflet-popup-content img, .leaflet-popup-content i"
    assert page.locator(injected).count() == 0
    opened.settle()
    # The search box lists the name as text, then finds a clustered project and opens its popup.
    page.evaluate(f"{_MAP}.setZoom(10, {{animate: false}})")
    search = page.locator(".leaflet-control-search input")
    search.press_sequentially("<scr")
    tip = page.locator(".search-tooltip .search-tip").first
    tip.wait_for()
    assert tip.inner_text() == XSS_NAME
    search.fill("")
    search.press_sequentially("Rhen")
    page.wait_for_function("document.querySelector('.search-tip') && "
                           "document.querySelector('.search-tip').textContent === 'Rhenus Logistics hub'")
    page.locator(".search-tooltip .search-tip").first.click()
    page.wait_for_function("document.querySelector('.leaflet-popup-content') && "
                           "document.querySelector('.leaflet-popup-content').innerText.includes('Rhenus Logistics')")
    page.wait_for_timeout(200)  # let any injected handler fire before checking
    assert page.evaluate("document.scripts.length") == scripts_before
    opened.assert_clean()


TRAVEL_TIME = "Travel time to the nearest facility"


def test_offline_proximity_map_opens_clean_and_a_travel_time_node_shows_its_minutes(visit: Any) -> None:
    opened = visit("proximity")
    page = opened.page
    page.wait_for_function(f"!{_MAP}._animatingZoom")  # the opening zoom to the city
    opened.assert_clean()
    assert all(url.startswith(("file://", "data:")) for url in opened.requests), opened.requests
    assert _render_ms(page) < RENDER_BUDGET_MS
    control = _control_text(page)
    for name in ("Service areas (road network)", "Service areas: Substation", "Coverage gaps: Substation",
                 "Coverage: Water intake", "Travel time (road network)", TRAVEL_TIME):
        assert name in control
    legend = page.inner_text(".ag-legend")
    for label in ("Service areas: Within 10 min", "Service areas: Within 30 min", "Coverage gaps: Substation",
                  "Travel time: 0–5 min", "Travel time: 20–30 min", "Travel time: Unreachable"):
        assert label in legend
    # The gaps are painted with the page's hatch pattern; the service areas in a translucent pane.
    assert page.locator(".leaflet-overlay-pane path[fill='url(#ag-hatch-d94801)']").count() >= 1
    assert page.evaluate("getComputedStyle(document.querySelector('.leaflet-ag-pane-1-pane')).opacity") == "0.5"
    assert page.locator(".leaflet-ag-pane-1-pane path").count() == 3  # the substations' areas, merged per limit
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)  # the clusters fade in
    page.screenshot(path=str(SCREENSHOTS / "proximity_offline.png"))
    # Switch the travel-time surface on and click the node reached in 10 minutes from a hostile id.
    paths_before = page.locator(".leaflet-overlay-pane path").count()
    page.get_by_label(TRAVEL_TIME).check()
    assert page.locator(".leaflet-overlay-pane path").count() >= paths_before + 300
    scripts_before = page.evaluate("document.scripts.length")
    page.mouse.click(*opened.node_point(2, zoom=14))
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "Travel time (min)\t10.0" in text and f"Facility\t{XSS_NAME}" in text
    assert page.locator(".leaflet-popup-content script, .leaflet-popup-content img").count() == 0
    # The popup fades in; the hatched and translucent fills take a few frames to paint without a GPU.
    page.wait_for_function("getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")
    page.wait_for_timeout(300)
    page.screenshot(path=str(SCREENSHOTS / "proximity_popup.png"))
    assert page.evaluate("document.scripts.length") == scripts_before
    opened.assert_clean()


# A 1x1 transparent PNG, served in place of map tiles.
_BLANK_PNG = encode_paletted_png(np.zeros((1, 1), dtype="uint8"), [(0, 0, 0, 0)])


def test_online_overview_runs_when_the_cdns_serve_the_vendored_files(browser: Any, site: Path) -> None:
    """The online page's own code, checked without a network: CDN URLs answered locally."""
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    tiles: list[str] = []

    def serve(route: Any) -> None:
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        elif url in ASSETS:
            asset = ASSETS[url]
            body = (VENDOR / asset.vendor_path).read_bytes()
            kind = "text/css" if asset.kind == "css" else "application/javascript"
            route.fulfill(status=200, body=body, content_type=kind)
        elif url in DROPPED_URLS:  # folium's unused defaults: present but empty
            route.fulfill(
                status=200,
                body=b"",
                content_type="text/css" if url.endswith(".css") else "application/javascript",
            )
        else:  # tiles and the plugins' CSS images
            tiles.append(url)
            route.fulfill(status=200, body=_BLANK_PNG, content_type="image/png")

    page.route("**/*", serve)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto((site / "maps" / "overview_online.html").as_uri(), wait_until="load")
    page.wait_for_function(f"{_MAP} && {_MAP}._loaded === true")
    page.wait_for_timeout(300)
    context.close()
    assert errors == []
    control_hosts = {url.split("/")[2] for url in tiles}
    assert any("arcgisonline" in host for host in control_hosts)  # the grey canvas base map
    assert any("openstreetmap" in host for host in control_hosts)  # the mini map
