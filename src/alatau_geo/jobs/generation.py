"""One build, one generation: the output folders a command replaces whole, and what in them is an output.

``build`` writes the layers folder and the maps folder, ``map`` the maps
folder, each through :class:`~alatau_geo.core.staging.StagedFolders`: into
staging folders, swapped in together at the end, locked meanwhile. What a
previous run wrote there is replaced; anything else the user keeps there (a
README, a QGIS project) is carried over.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

from alatau_geo.core.errors import LayerError
from alatau_geo.core.generation import generation_files
from alatau_geo.core.manifest import MANIFEST_NAME, manifest_entries
from alatau_geo.core.staging import StagedFolders
from alatau_geo.jobs.build import TERRAIN_RASTER

__all__ = ["MAP_PAGES", "build_outputs", "layer_outputs", "map_outputs", "maps_outputs"]

MAP_PAGES = ("overview", "districts", "infrastructure", "proximity", "terrain", "population", "mountain",
             "suitability")
"""The pages :func:`alatau_geo.jobs.pages.write_maps` may write, as ``<name>.html``."""
GPKG_SUFFIXES = (".gpkg", ".gpkg-journal", ".gpkg-wal", ".gpkg-shm")


def layer_outputs(layers_dir: Path) -> Callable[[Path], bool]:
    """Whether an entry of `layers_dir` was written by a previous build (the rest is the user's).

    The previous build's outputs are the files its manifest lists (layers and
    generation record), the manifest, the terrain raster and GeoPackages.
    """

    @cache
    def listed() -> frozenset[str]:
        # Read when first asked, at commit time, with the folder locked.
        names = {MANIFEST_NAME, TERRAIN_RASTER}
        try:
            names |= {path.name for _name, path in manifest_entries(layers_dir)}
            names |= set(generation_files(layers_dir) or {})
        except LayerError:
            pass  # no or a broken manifest: only the fixed names and GeoPackages count
        return frozenset(names)

    def is_output(path: Path) -> bool:
        return path.name in listed() or path.name.endswith(GPKG_SUFFIXES)

    return is_output


def map_outputs(path: Path) -> bool:
    """Whether an entry of a maps folder is a page the maps job writes."""
    return path.suffix == ".html" and path.stem in MAP_PAGES


def maps_outputs(maps_dir: Path) -> list[Path]:
    """The map pages present in `maps_dir`."""
    return sorted(p for p in maps_dir.glob("*.html") if map_outputs(p)) if maps_dir.is_dir() else []


def build_outputs(layers_dir: Path | None, maps_dir: Path | None, *, also_lock: Sequence[Path] = (),
                  on_message: Callable[[str], None]) -> StagedFolders:
    """The staged output folders of a ``build`` (layers and maps) or a ``map`` run (maps only).

    Parameters
    ----------
    layers_dir, maps_dir : Path or None
        The folders written; None for one not written.
    also_lock : sequence of Path, default ()
        Folders not written but locked and cleaned of an interrupted run's leftovers.
    on_message : callable
        Receives a line for each stale lock, staging folder or journal dealt with.
    """
    folders: list[Path] = []
    rules: list[Callable[[Path], bool]] = []
    if layers_dir is not None:
        folders.append(layers_dir)
        rules.append(layer_outputs(layers_dir))
    if maps_dir is not None:
        folders.append(maps_dir)
        rules.append(map_outputs)
    return StagedFolders(folders, is_output=rules, also_lock=also_lock, on_message=on_message)
