"""The raster model: one band of values on a grid, with its transform and CRS."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from affine import Affine
from pyproj import CRS

__all__ = ["Raster", "grid_bounds"]


@dataclass(frozen=True)
class Raster:
    """A single-band raster: values (NaN = nodata), transform and CRS.

    Parameters
    ----------
    data : numpy.ndarray
        2-D float32 array, rows from north to south.
    transform : affine.Affine
        Maps (column, row) of a cell's upper-left corner to (x, y).
    crs : pyproj.CRS
    """

    data: np.ndarray
    transform: Affine
    crs: CRS

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return self.data.shape  # type: ignore[return-value]

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the raster's outer cell edges."""
        return grid_bounds(self.transform, self.shape)

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """X of every column centre and y of every row centre (1-D arrays)."""
        rows, cols = self.shape
        xs = self.transform.c + (np.arange(cols) + 0.5) * self.transform.a
        ys = self.transform.f + (np.arange(rows) + 0.5) * self.transform.e
        return xs, ys


def grid_bounds(transform: Affine, shape: tuple[int, int]) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the outer cell edges of a grid, in its CRS units.

    Parameters
    ----------
    transform : affine.Affine
        The grid's transform: north-up, or flipped in either axis.
    shape : (int, int)
        Its number of rows and of columns.

    Examples
    --------
    >>> grid_bounds(Affine(100.0, 0.0, 1000.0, 0.0, -100.0, 2100.0), (1, 3))
    (1000.0, 2000.0, 1300.0, 2100.0)
    """
    rows, cols = shape
    west, north = transform @ (0, 0)
    east, south = transform @ (cols, rows)
    return (min(west, east), min(south, north), max(west, east), max(south, north))
