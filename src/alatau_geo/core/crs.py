"""The one coordinate reference system policy of alatau-geo.

- Analysis (distances, buffers, slope) runs in UTM zone 43N, EPSG:32643:
  the whole Alatau plain lies in it (72-78 degrees E).
- Areas are measured in an Albers equal-area projection centred on the
  study area, so hectares do not depend on the UTM scale factor.
- Everything exported is WGS84 longitude, latitude (EPSG:4326), as RFC 7946
  GeoJSON requires.

Coordinates are always ordered (x, y), that is (longitude, latitude), in
this package.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from alatau_geo.core.errors import CRSError

WORKING_CRS = CRS.from_epsg(32643)
EXPORT_CRS = CRS.from_epsg(4326)
EQUAL_AREA_CRS = CRS.from_proj4(
    "+proj=aea +lat_0=43.5 +lon_0=77 +lat_1=42.5 +lat_2=44.5 "
    "+x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
)
SQUARE_METRES_PER_HECTARE = 10_000.0


def require_crs(frame: gpd.GeoDataFrame | gpd.GeoSeries, *, what: str) -> CRS:
    """Return the CRS of `frame`, or raise if it has none.

    Parameters
    ----------
    frame : GeoDataFrame or GeoSeries
    what : str
        Name of the data, used in the error message.

    Returns
    -------
    pyproj.CRS
    """
    if frame.crs is None:
        raise CRSError(f"{what}: no coordinate reference system; set one (e.g. EPSG:4326)")
    return CRS.from_user_input(frame.crs)


def to_working(frame: gpd.GeoDataFrame, *, what: str = "layer") -> gpd.GeoDataFrame:
    """Project `frame` to the working CRS (UTM 43N, metres)."""
    require_crs(frame, what=what)
    return frame.to_crs(WORKING_CRS)


def area_ha(geometry: gpd.GeoSeries | gpd.GeoDataFrame) -> pd.Series:
    """Area of each geometry in hectares, measured in the equal-area CRS.

    Parameters
    ----------
    geometry : GeoSeries or GeoDataFrame
        Polygons in any projected or geographic CRS.

    Returns
    -------
    pandas.Series
        Area in hectares, named ``area_ha``, with the input's index.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> square = gpd.GeoSeries([box(660_000, 4_820_000, 661_000, 4_821_000)], crs=WORKING_CRS)
    >>> round(float(area_ha(square).iloc[0]), 0)
    100.0
    """
    require_crs(geometry, what="geometry")
    series = geometry.geometry if isinstance(geometry, gpd.GeoDataFrame) else geometry
    areas = series.to_crs(EQUAL_AREA_CRS).area / SQUARE_METRES_PER_HECTARE
    return areas.rename("area_ha")
