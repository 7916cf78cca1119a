"""The gazetteer tables: checking, places with elevation, schematic corridors."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine

from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.errors import TableError
from alatau_geo.core.raster import Raster
from alatau_geo.plan.config import load_plan
from alatau_geo.reference import gazetteer

GATE_SETTLEMENTS = {"otegen_batyr", "pokrovka", "koyankus", "yntymak", "zhanalyk"}


def test_shipped_tables_hold_what_the_reference_names():
    tables = gazetteer.load_tables(load_plan().tables)
    ids = set(tables.places["id"])
    assert GATE_SETTLEMENTS | {"alatau", "konaev", "almaty", "almaty_airport"} <= ids
    assert (tables.places[["name_en", "name_kk", "name_ru"]] != "").all().all()
    # Positions not found in any reachable source are marked approximate.
    approximate = set(tables.places.loc[tables.places["position_quality"] == "approximate", "id"])
    assert {"pokrovka", "koyankus", "yntymak", "zhanalyk", "alatau"} <= approximate
    geonames = tables.places.set_index("id").loc["otegen_batyr"]
    assert (geonames["lon"], geonames["lat"]) == (77.0202, 43.41949)


def test_places_layer_samples_elevation_and_keeps_quality():
    tables = gazetteer.load_tables(load_plan().tables)
    # A tilted plane: elevation = 500 m + 1 m per km northwards of y = 4,750 km.
    rows = np.arange(2000)
    ys = 4_900_000 - (rows + 0.5) * 100
    data = np.repeat((500 + (ys - 4_750_000) / 1000)[:, None], 2000, axis=1).astype(np.float32)
    dem = Raster(data, Affine(100, 0, 600_000, 0, -100, 4_900_000), WORKING_CRS)
    layer = gazetteer.places_layer(tables.places, source="test", elevation=dem)
    frame = layer.frame.set_index("id")
    otegen = frame.loc["otegen_batyr"]
    assert otegen["elevation_m"] == round(500 + (otegen.geometry.y - 4_750_000) / 1000)
    assert layer.provenance.quality == "approximate"
    assert list(layer.frame["id"]) == sorted(layer.frame["id"])


def test_corridors_are_schematic_lines_from_ordered_waypoints():
    tables = gazetteer.load_tables(load_plan().tables)
    shuffled = tables.corridors.sample(frac=1.0, random_state=1)
    layer = gazetteer.corridors_layer(shuffled, source="test")
    a3 = layer.frame.set_index("id").loc["a3"]
    assert a3["ref"] == "A3" and a3["kind"] == "highway" and bool(a3["schematic"])
    start, end = a3.geometry.coords[0], a3.geometry.coords[-1]
    straight_km = np.hypot(end[0] - start[0], end[1] - start[1]) / 1000
    # From Almaty's north exit to Konaev: about 64 km as the crow flies; the line is not shorter.
    assert 60 < straight_km <= a3["length_km"] < 1.3 * straight_km
    assert end[1] > start[1]  # ordered by seq: from Almaty northwards


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("43.41949", "143.41949"), "line 10 (id=otegen_batyr): 'lat' must be a latitude"),
        (lambda t: t.replace(",geonames,GeoNames,centre", ",gps,GeoNames,centre"), "position_quality 'gps'"),
        (lambda t: t.replace("id,name_en", "ident,name_en"), "missing column(s) id"),
    ],
)
def test_bad_rows_are_named(tmp_path, edit, message):
    text = gazetteer.packaged_table("places.csv").read_text(encoding="utf-8")
    path = tmp_path / "places.csv"
    path.write_text(edit(text), encoding="utf-8")
    with pytest.raises(TableError) as error:
        gazetteer.read_table(path, columns=gazetteer.PLACE_COLUMNS, key="id")
    assert message in str(error.value) and str(path) in str(error.value)


def test_corridor_needs_two_waypoints():
    tables = gazetteer.load_tables(load_plan().tables)
    single = tables.corridors[tables.corridors["seq"].isin(["1"]) & (tables.corridors["id"] == "a3")]
    with pytest.raises(TableError, match="corridor a3: needs at least two waypoints"):
        gazetteer.corridors_layer(single, source="corridors.csv")
