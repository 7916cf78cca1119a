"""The study area: the extent every layer is built and checked in."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["StudyArea"]


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
