"""What the API modules share: the default layers folder, plan and raster loading."""



from __future__ import annotations

from pathlib import Path

from alatau_geo.analysis.suitability_layers import SuitabilityResult
from alatau_geo.core.io import read_raster
from alatau_geo.core.layers import LayerSet
from alatau_geo.core.raster import Raster
from alatau_geo.jobs import build as pipeline
from alatau_geo.jobs.suitability import suitability_of
from alatau_geo.plan.config import Plan, load_plan
from alatau_geo.plan.workspace import Workspace, default_workspace, resolve_workspace

DEFAULT_LAYERS_DIR = Path("layers")


MAP_KINDS = ("overview", "districts", "infrastructure", "proximity", "terrain", "population", "mountain",
             "suitability")


def _plan(plan: Plan | str | Path | None) -> Plan:
    return plan if isinstance(plan, Plan) else load_plan(plan)


def elevation(layers_dir: str | Path = DEFAULT_LAYERS_DIR) -> Raster:
    """The working-grid DEM (whole metres, UTM 43N, 90 m cells) written beside the layers.

    Examples
    --------
    >>> import alatau_geo as ag
    >>> dem = ag.elevation("layers")  # doctest: +SKIP
    >>> dem.crs.to_epsg(), dem.transform.a  # doctest: +SKIP
    (32643, 90.0)
    """
    return read_raster(Path(layers_dir) / pipeline.TERRAIN_RASTER)


def _suitability_result(layers: LayerSet, plan: Plan, *, layers_dir: str | Path) -> SuitabilityResult:
    return suitability_of(layers, plan, layers_dir=Path(layers_dir), elevation=elevation(layers_dir))


def _workspace(given: str | Path | None) -> Workspace:
    return default_workspace() if given is None else resolve_workspace(str(given))
