"""GDAL's complaints about a file, as one-line messages."""

from __future__ import annotations

import pyogrio.errors

#: What pyogrio raises when GDAL refuses a file (DataLayerError also covers
#: geometry, field and CRS errors); anything else raised while reading is a bug of ours.
GDAL_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError)


def gdal_reason(error: Exception) -> str:
    """GDAL's message on one line, without the file path and generic hints."""
    parts = [part.strip() for part in str(error).replace("\n", " ").split(";")]
    kept = [part for part in parts if part and not part.startswith("It might help")]
    return "; ".join(kept) or type(error).__name__
