"""alatau-geo: geospatial planning toolkit for Alatau City, Kazakhstan."""

__version__ = "0.1.0"
