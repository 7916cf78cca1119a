"""Text from tables and plans is data on every page: never a template, never markup.

A planner may be sent a table or a plan by anyone. Names, companies, sectors,
roles and sources below carry Jinja syntax (which once ran Python while the
maps were written), script-closing markup and JavaScript template syntax; the
build must succeed, every page must show them literally, and a browser must
run none of them.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from importlib import resources
from pathlib import Path

import pytest

from alatau_geo.cli import app as cli
from alatau_geo.cli import common

REPOSITORY = Path(__file__).resolve().parents[1]
CWD_MARKER = "cwd-marker-7c1e"
PAYLOADS = (
    "{{7*7}}",
    "{% if 1 %}x{% endif %}",
    "{{ lipsum.__globals__.os.getcwd() }}",
    "{% oops",
    "{#",
    "${alert(1)}",
    "</script>",
)
# Payloads that reach the raw page as they are (the others are escaped there, as they must be).
# The pages that show the places, projects, objects and districts whose names carry the payloads.
SHOWS_THE_TABLES = ("overview", "districts", "infrastructure")
RAW_LITERALS = ("{{7*7}}", "{% if 1 %}x{% endif %}", "{{ lipsum.__globals__.os.getcwd() }}", "{% oops", "${alert(1)}")


def _hostile(text: str, index: int) -> str:
    return f"{text} {PAYLOADS[index % len(PAYLOADS)]}"


def _rewrite_table(source: str, target: Path, columns: tuple[str, ...]) -> None:
    rows = list(csv.DictReader(io.StringIO(source)))
    for number, row in enumerate(rows):
        for offset, column in enumerate(columns):
            row[column] = _hostile(row[column] or column, number + offset)
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build from hostile copies of the tables and the plan, with the committed layers as terrain."""
    root = tmp_path_factory.mktemp("hostile")
    data = resources.files("alatau_geo") / "data"
    _rewrite_table(data.joinpath("places.csv").read_text(encoding="utf-8"), root / "places.csv",
                   ("name_en", "name_kk", "name_ru", "source"))
    _rewrite_table(data.joinpath("projects.csv").read_text(encoding="utf-8"), root / "projects.csv",
                   ("name_en", "company", "sector", "source"))
    _rewrite_table(data.joinpath("infrastructure.csv").read_text(encoding="utf-8"), root / "infrastructure.csv",
                   ("name_en", "basis"))
    plan = data.joinpath("default_plan.toml").read_text(encoding="utf-8")
    for number, role in enumerate(("finance, business, international trade", "tourism, resorts, parks",
                                   "science, education, medicine, food industry", "export industry and logistics")):
        plan = plan.replace(f'role = "{role}"', f'role = "{_hostile(role, number)}"')
    for table in ("places", "projects", "infrastructure"):
        plan = plan.replace(f'{table} = ""', f'{table} = "{table}.csv"', 1)
    (root / "plan.toml").write_text(plan, encoding="utf-8")
    shutil.copytree(REPOSITORY / "layers", root / "layers", ignore=shutil.ignore_patterns("*.gpkg"))
    return root


@pytest.fixture(scope="module")
def hostile_maps(hostile_build: Path) -> Path:
    """Run `alatau-geo build --offline` in a working folder whose path the pages must never show."""
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.delenv(common.DEM_DIR_VARIABLE, raising=False)
    monkeypatch.setattr(common, "default_dem_dirs", lambda: [hostile_build / "no-shared" / "srtm"])
    workdir = hostile_build / CWD_MARKER
    workdir.mkdir()
    previous = Path.cwd()
    os.chdir(workdir)
    try:
        code = cli.main(["-q", "--plan", str(hostile_build / "plan.toml"), "build", "--offline",
                         "--layers-dir", str(hostile_build / "layers"), "--maps-dir", str(hostile_build / "maps")])
    finally:
        os.chdir(previous)
        monkeypatch.undo()
    assert code == 0
    return hostile_build / "maps"


def test_hostile_names_build_and_every_page_shows_them_literally(hostile_maps: Path) -> None:
    pages = sorted(hostile_maps.glob("*.html"))
    assert {p.stem for p in pages} >= {"overview", "districts", "infrastructure", "proximity"}
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert CWD_MARKER not in html, f"{page.name}: the working directory leaked (Python ran)"
        if page.stem not in SHOWS_THE_TABLES:
            continue  # a thematic page (population, mountain, suitability...) shows no names from these tables
        for payload in RAW_LITERALS:
            assert payload in html, f"{page.name}: {payload!r} is not shown literally"
        # {{7*7}} is never evaluated; the escaped script end never closes the page's script.
        assert html.count("</script>") == html.count("<script")


def test_a_template_error_in_rendering_is_one_line_exit_5_and_old_maps_stay(tmp_path: Path,
                                                                             capsys: pytest.CaptureFixture) -> None:
    from alatau_geo.core.errors import ExportError
    from alatau_geo.maps import elements

    maps_dir = tmp_path / "maps"
    maps_dir.mkdir()
    old = maps_dir / "overview.html"
    old.write_text("previous run", encoding="utf-8")
    original = elements.RenderOnce.render

    def broken(self: object, **kwargs: object) -> None:
        raise ValueError("boom\nsecond line")

    elements.RenderOnce.render = broken  # type: ignore[method-assign]
    try:
        code = cli.main(["-q", "map", "--layers-dir", str(REPOSITORY / "layers"), "--maps-dir", str(maps_dir)])
    finally:
        elements.RenderOnce.render = original  # type: ignore[method-assign]
    err = capsys.readouterr().err.strip().splitlines()
    assert code == ExportError.exit_code == 5
    assert len(err) == 1 and "could not be rendered (ValueError: boom second line)" in err[0]
    assert old.read_text(encoding="utf-8") == "previous run"
    assert sorted(p.name for p in maps_dir.iterdir()) == ["overview.html"]


def test_notebook_display_keeps_braces_as_text(hostile_build: Path, hostile_maps: Path) -> None:
    import alatau_geo as ag

    layers = ag.read_layers(hostile_build / "layers")
    html = ag.show_map(layers, "infrastructure", layers_dir=hostile_build / "layers")._repr_html_()
    assert "{{7*7}}" in html and CWD_MARKER not in html


def test_hostile_pages_run_nothing_in_a_browser(hostile_maps: Path) -> None:
    from browser_support import open_browser

    with open_browser() as browser:
        for name in ("overview", "districts", "infrastructure"):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            dialogs: list[str] = []

            def on_dialog(dialog: object, seen: list[str] = dialogs) -> None:
                seen.append(dialog.message)  # type: ignore[attr-defined]
                dialog.dismiss()  # type: ignore[attr-defined]

            page.on("dialog", on_dialog)
            page.goto((hostile_maps / f"{name}.html").as_uri(), wait_until="load")
            page.wait_for_function("window[document.querySelector('.folium-map').id]._loaded === true")
            scripts = page.evaluate("document.scripts.length")
            # Open every popup and tooltip on the page, and collect what they show.
            shown = page.evaluate(
                """() => {
                    const map = window[document.querySelector('.folium-map').id];
                    const texts = [];
                    map.eachLayer(layer => {
                        for (const [open, close, get] of [['openPopup', 'closePopup', 'getPopup'],
                                                          ['openTooltip', 'closeTooltip', 'getTooltip']]) {
                            if (layer[get] && layer[get]()) {
                                layer[open]();
                                const el = layer[get]().getElement();
                                if (el) { texts.push(el.innerText); }
                                layer[close]();
                            }
                        }
                    });
                    return texts.join('\\n') + '\\n' + document.body.innerText;
                }"""
            )
            page.wait_for_timeout(200)  # let any injected handler fire
            assert dialogs == [], f"{name}: a dialog fired: {dialogs}"
            assert page.evaluate("document.scripts.length") == scripts
            assert page.locator(".leaflet-popup-pane script, .leaflet-popup-pane img, .ag-legend script").count() == 0
            for payload in PAYLOADS:
                assert payload in shown, f"{name}: {payload!r} not shown as text"
            assert "49 " not in shown.replace("1,49", "")
            page.close()
