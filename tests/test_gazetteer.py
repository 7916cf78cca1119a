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

GATE_SETTLEMENTS = {"otegen_batyr", "kenen_azirbayev", "koyankus", "yntymak", "zhanalyk"}


def test_shipped_tables_hold_what_the_reference_names():
    tables = gazetteer.load_tables(load_plan().tables)
    ids = set(tables.places["id"])
    assert GATE_SETTLEMENTS | {"alatau", "konaev", "almaty", "almaty_airport"} <= ids
    assert (tables.places[["name_en", "name_kk", "name_ru"]] != "").all().all()
    # Positions not found in any reachable source are marked approximate.
    approximate = set(tables.places.loc[tables.places["position_quality"] == "approximate", "id"])
    assert {"kenen_azirbayev", "koyankus", "yntymak", "zhanalyk", "alatau"} <= approximate
    geonames = tables.places.set_index("id").loc["otegen_batyr"]
    assert (geonames["lon"], geonames["lat"]) == (77.0202, 43.41949)
    # Every position names its source.
    assert (tables.places["source"].str.strip() != "").all()
    assert (tables.corridors["source"].str.strip() != "").all()


def test_current_names_with_their_history():
    places = gazetteer.load_tables(load_plan().tables).places.set_index("id")
    former = {place: gazetteer.aliases(names) for place, names in places["former_names"].items()}
    # Energeticheskiy is Otegen Batyr's former name, not a second village.
    assert "energeticheskiy" not in places.index
    assert "Energeticheskiy" in former["otegen_batyr"]
    # Pokrovka was renamed Kenen Azirbayev in February 2024.
    assert places.loc["kenen_azirbayev", "name_kk"] == "Кенен Әзірбаев"
    assert {"Pokrovka", "Покровка"} <= set(former["kenen_azirbayev"])
    assert {"Kapshagay", "Kapchagay", "Қапшағай"} <= set(former["konaev"])
    assert "Zhetygen" in former["alatau"] and places.loc["alatau", "in_alatau"] == "yes"
    # No alias is also another place's current name.
    current = set(places["name_en"])
    assert not current & {alias for names in former.values() for alias in names}
    # The airport's position is the airportsdata record of ICAO UAAA.
    airport = places.loc["almaty_airport"]
    assert (airport["lon"], airport["lat"]) == (77.0405, 43.3521)
    assert airport["position_quality"] == "published" and "UAAA" in airport["source"]


def test_river_names_and_attributes():
    rivers = gazetteer.load_tables(load_plan().tables).river_names.drop_duplicates("river_id").set_index("river_id")
    assert rivers.loc["esik", "name_ru"] == "Иссык"  # the river; Есик is the town
    assert rivers.loc["kaskelen", "published_length_km"] == "177"
    assert set(rivers.loc[rivers["lower_reach"] == "intermittent"].index) == {"esik", "turgen"}


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
    assert a3["status"] == "existing" and a3["position_quality"] == "approximate"
    statuses = layer.frame.set_index("id")["status"]
    assert statuses["almaty_bypass"] == "under_construction" and statuses["turksib"] == "existing"
    start, end = a3.geometry.coords[0], a3.geometry.coords[-1]
    straight_km = np.hypot(end[0] - start[0], end[1] - start[1]) / 1000
    # From Almaty's north exit to Konaev: about 64 km as the crow flies; the line is not shorter.
    assert 60 < straight_km <= a3["length_km"] < 1.3 * straight_km
    assert end[1] > start[1]  # ordered by seq: from Almaty northwards


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("43.41949", "143.41949"), "line 11 (id=otegen_batyr): 'lat' must be a latitude"),
        (lambda t: t.replace(",yes,", ",maybe,"), "in_alatau 'maybe' is not one of"),
        (lambda t: t.replace("43.41949,geonames,", "43.41949,gps,"), "position_quality 'gps'"),
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


def test_corridor_status_must_agree_on_every_row():
    tables = gazetteer.load_tables(load_plan().tables)
    corridors = tables.corridors.copy()
    corridors.loc[(corridors["id"] == "turksib") & (corridors["seq"] == "2"), "status"] = "planned"
    with pytest.raises(TableError, match="corridor turksib: 'status' must be the same on every row"):
        gazetteer.corridors_layer(corridors, source="corridors.csv")


def test_outline_is_a_polygon_from_ordered_vertices():
    tables = gazetteer.load_tables(load_plan().tables)
    layer = gazetteer.outlines_layer(tables.outlines.sample(frac=1.0, random_state=2), source="test")
    almaty = layer.frame.set_index("id").loc["almaty"]
    assert almaty.geometry.is_valid and almaty["position_quality"] == "approximate"
    # Drawn a little inside the published 682 km2; the plan grows it to that area.
    assert 60_000 < almaty["area_ha"] < 68_200


def test_corridor_needs_two_waypoints():
    tables = gazetteer.load_tables(load_plan().tables)
    single = tables.corridors[tables.corridors["seq"].isin(["1"]) & (tables.corridors["id"] == "a3")]
    with pytest.raises(TableError, match="corridor a3: needs at least two waypoints"):
        gazetteer.corridors_layer(single, source="corridors.csv")
