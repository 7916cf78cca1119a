"""Benchmark: size and render time of the overview map beside a naive folium map.

Run:  python benchmarks/bench_maps.py [--layers-dir layers] [--runs 3]

Both pages show the same committed layers. The naive page is what a first
folium script does: ``folium.GeoJson`` of each layer at full precision, no
simplification, CDN scripts. alatau-geo's page is written with ``--offline``
(everything inlined). Render time is navigation start to the load event in
headless Debian chromium (Playwright), median of `--runs`; the naive page's
CDN requests are refused locally, so its time excludes downloads. Results
go to ``benchmarks/results/maps.json``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import folium

from alatau_geo import maps
from alatau_geo.core.io import read_layers
from bench_results import machine, write_results

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def naive_page(layers_dir: Path) -> str:
    m = folium.Map(location=[43.55, 77.1], zoom_start=9, tiles=None)
    for path in sorted(layers_dir.glob("*.geojson")):
        folium.GeoJson(path.read_text(encoding="utf-8"), name=path.stem).add_to(m)
    folium.LayerControl().add_to(m)
    return m.get_root().render()


def render_ms(paths: dict[str, Path], runs: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {name: [] for name in paths}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(runs):
            for name, path in paths.items():
                page = browser.new_page()
                page.route("http*://**", lambda route: route.abort())
                page.goto(path.as_uri(), wait_until="load")
                times[name].append(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"))
                page.close()
        browser.close()
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers-dir", type=Path, default=Path(__file__).resolve().parents[1] / "layers")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    started = machine()
    layers = read_layers(args.layers_dir)
    dem = args.layers_dir / "terrain_dem.tif"
    with tempfile.TemporaryDirectory() as folder:
        ours = Path(folder) / "overview.html"
        page = maps.render_html(maps.overview_map(layers, relief=maps.relief_images(dem), offline=True))
        ours.write_text(page, encoding="utf-8")
        naive = Path(folder) / "naive.html"
        naive.write_text(naive_page(args.layers_dir), encoding="utf-8")
        sizes = {"alatau-geo overview (offline)": ours.stat().st_size, "naive folium": naive.stat().st_size}
        times = render_ms({"alatau-geo overview (offline)": ours, "naive folium": naive}, args.runs)
    for name in sizes:
        print(f"{name:32} {sizes[name] / 1e6:6.2f} MB  {times[name]:7.0f} ms")
    print(f"size ratio alatau-geo / naive   {sizes['alatau-geo overview (offline)'] / sizes['naive folium']:6.2f}")
    print(f"time ratio alatau-geo / naive   {times['alatau-geo overview (offline)'] / times['naive folium']:6.2f}")
    write_results("maps", {"runs": args.runs, "pages": {
        name: {"size_mb": sizes[name] / 1e6, "load_ms": times[name]} for name in sizes}}, started=started)


if __name__ == "__main__":
    main()
