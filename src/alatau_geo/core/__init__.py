"""Core: errors, CRS policy, the layer model, rasters, and every file read and write."""
