"""The API of scenarios: indicators, comparison, uncertainty."""



from __future__ import annotations

from pathlib import Path

import pandas as pd

from alatau_geo.api._shared import _workspace
from alatau_geo.jobs.uncertainty import UncertaintyResult


def indicators(workspace: str | Path | None = None) -> pd.DataFrame:
    """Every scenario indicator of a built workspace (the table ``alatau-geo compare`` sets side by side).

    Parameters
    ----------
    workspace : path or 'default', optional
        A workspace folder (built); default: the default scenario.

    Returns
    -------
    DataFrame
        ``id``, ``group``, ``name``, ``value``, ``unit``, ``definition``,
        ``basis`` (published, target, derived or assumed), one row per indicator.

    Examples
    --------
    >>> import alatau_geo as ag
    >>> table = ag.indicators()  # doctest: +SKIP
    >>> table.set_index("id").loc["residents.gate.2050", "value"]  # doctest: +SKIP
    220000.0
    """
    from alatau_geo.jobs.compare import load_scenario, scenario_label

    chosen = _workspace(workspace)
    return load_scenario(chosen, label=scenario_label(chosen)).indicators


def compare_scenarios(*workspaces: str | Path, out_dir: str | Path | None = None, pdf: bool = True) -> pd.DataFrame:
    """Indicators of built workspaces side by side with their differences from the first (``alatau-geo compare``).

    Parameters
    ----------
    *workspaces : path or 'default'
        At least two built workspaces.
    out_dir : path, optional
        When given, ``comparison.csv``, ``comparison.html`` and (with `pdf`)
        ``comparison.pdf`` are written there.
    pdf : bool

    Returns
    -------
    DataFrame
        One row per indicator: ``id``, ``group``, ``name``, ``unit``,
        ``basis``, a value column per scenario, a difference column per
        scenario after the first.

    Examples
    --------
    >>> import alatau_geo as ag
    >>> wide = ag.compare_scenarios("default", "sez_scenario", out_dir="comparison")  # doctest: +SKIP
    """
    from alatau_geo.jobs.compare import compare_workspaces, write_comparison

    comparison = compare_workspaces([_workspace(w) for w in workspaces])
    if out_dir is not None:
        write_comparison(comparison, out_dir, pdf=pdf)
    return comparison.wide


def uncertainty(workspace: str | Path | None = None, *, runs: int | None = None, seed: int | None = None,
                scheduler: str | None = None, workers: int = 2, processes: bool = True,
                out_dir: str | Path | None = None) -> UncertaintyResult:
    """How far the indicators move when positions move within their tolerance and guesses within their range.

    Runs ``alatau-geo uncertainty`` on Dask: a local cluster of `workers`
    (processes, or threads with ``processes=False``), or the scheduler at
    `scheduler`. The same seed gives the same result on any number of workers.

    Parameters
    ----------
    workspace : path or 'default', optional
        A built workspace; default: the default scenario.
    runs, seed : int, optional
        Default: the plan's ``uncertainty.runs`` and ``uncertainty.seed``.
    scheduler : str, optional
        Address of a running Dask scheduler.
    workers : int
    processes : bool
    out_dir : path, optional
        When given, the tables and district-probability rasters are written there.

    Returns
    -------
    UncertaintyResult
        ``bands`` (median and 5-95 % band per indicator), ``zones``
        (stability of the zones), ``runs`` (one row per run, failures
        included), ``samples``, ``probability`` (district per grid cell).

    Examples
    --------
    >>> import alatau_geo as ag
    >>> result = ag.uncertainty(runs=20, seed=7)  # doctest: +SKIP
    >>> result.bands.set_index("id").loc["travel_min.almaty.median", ["p05", "p95"]]  # doctest: +SKIP
    """
    from alatau_geo.jobs import uncertainty as job

    inputs = job.prepare_inputs(_workspace(workspace))
    runs = runs or inputs.plan.uncertainty.runs
    seed = inputs.plan.uncertainty.seed if seed is None else seed
    with job.dask_client(scheduler, workers=workers, processes=processes) as client:
        results = job.run_on_dask(inputs, runs=runs, seed=seed, client=client)
    result = job.summarise(results, inputs, seed=seed)
    if out_dir is not None:
        job.write_uncertainty(result, out_dir, plan=inputs.plan)
    return result
