"""The shipped mountain places table: three stations, each position with a source and a quality flag."""

from __future__ import annotations

import pytest

from alatau_geo.analysis import mountain
from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.errors import TableError


def test_shipped_table_places_the_three_resorts_with_sources_and_flags():
    places = mountain.mountain_places(mountain.read_mountain_places())
    assert places.crs == WORKING_CRS
    resorts = mountain.stations(places).set_index("id")
    assert sorted(resorts.index) == ["medeu", "oi_karagai", "shymbulak"]
    assert resorts.at["medeu", "kind"] == "base_station"
    assert (places["source"].str.len() > 0).all()
    # No position here comes from a gazetteer, so none may claim better than approximate.
    assert set(resorts["position_quality"]) == {"approximate"}
    assert resorts.at["oi_karagai", "source"] == "placed by hand"
    assert resorts.at["oi_karagai", "basis"] == "assumed" and resorts.at["shymbulak", "basis"] == "published"
    # Published elevations where known: Medeu ~1,691 m, Shymbulak base ~2,200 m.
    assert resorts.at["medeu", "published_elevation_m"] == 1691
    assert resorts.at["shymbulak", "published_elevation_m"] == 2200
    assert resorts.loc[["medeu", "shymbulak"], "elevation_basis"].eq("published").all()
    # Shymbulak lies about 3.7 km south-south-east of Medeu, up the same valley.
    medeu, shymbulak = resorts.geometry["medeu"], resorts.geometry["shymbulak"]
    assert 3000 < medeu.distance(shymbulak) < 4500 and shymbulak.y < medeu.y


@pytest.mark.parametrize(("good", "bad", "message"), [
    (",1691,", ",about 1700,", r"line \d \(id=medeu\): 'elevation_m' must be a number"),
    ("placed by hand,assumed", "placed by hand,guessed", r"\(id=oi_karagai\): 'position_basis' must be one of"),
], ids=["bad_elevation", "unknown_position_basis"])
def test_a_bad_value_is_a_one_line_table_error(tmp_path, good, bad, message):
    text = mountain.packaged_table("mountain_places.csv").read_text("utf-8")
    table = tmp_path / "mountain_places.csv"
    table.write_text(text.replace(good, bad), "utf-8")
    with pytest.raises(TableError, match=message):
        mountain.read_mountain_places(table)
