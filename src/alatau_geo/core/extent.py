"""The study area: the extent every layer is built and checked in."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NEAR_MARGIN_DEG", "StudyArea"]

NEAR_MARGIN_DEG = 0.5
"""How far outside the study area a position may lie before it is taken for a mistake, degrees (about 40-55 km)."""


@dataclass(frozen=True)
class StudyArea:
    """Bounding box of the study area, WGS84 degrees, (x, y) = (lon, lat)."""

    west: float
    south: float
    east: float
    north: float

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in degrees."""
        return (self.west, self.south, self.east, self.north)

    def near(self, lon: float, lat: float, *, margin_deg: float = NEAR_MARGIN_DEG) -> bool:
        """Whether (lon, lat) lies inside the study area widened by `margin_deg` degrees on every side.

        Examples
        --------
        >>> area = StudyArea(west=76.55, south=43.10, east=78.00, north=44.00)
        >>> area.near(77.0, 43.5), area.near(70.0, 40.0)
        (True, False)
        """
        return (self.west - margin_deg <= lon <= self.east + margin_deg
                and self.south - margin_deg <= lat <= self.north + margin_deg)
