"""The exceptions alatau-geo raises.

Every error is an :class:`AlatauGeoError` and also a standard exception type,
so callers may catch either. Each class carries the process exit code the
command-line tool uses for it; the CLI prints ``str(error)`` as one line and
never a traceback.

Exit codes
----------
0  success
1  a checked layer has problems (``alatau-geo validate``)
2  wrong command-line usage
3  the plan file is invalid
4  input data is missing, unreadable or malformed (DEM tiles, tables, layers);
   with ``--strict``, also data that degraded (a warning)
5  an output could not be written (or another process is writing it)
70 an error no check foresaw: a bug (the CLI prints one line; ``-v`` shows where)
"""

from __future__ import annotations


class AlatauGeoError(Exception):
    """Root of every error raised by alatau-geo.

    Examples
    --------
    >>> import alatau_geo as ag
    >>> try:
    ...     ag.load_plan("no_such_plan.toml")
    ... except ag.AlatauGeoError as error:
    ...     print(error.exit_code, error)
    3 no_such_plan.toml: plan file not found
    """

    exit_code: int = 4


class UsageError(AlatauGeoError, ValueError):
    """A command was asked for something it cannot do as asked (not a workspace, a workspace that exists)."""

    exit_code = 2


class PlanError(AlatauGeoError, ValueError):
    """The plan file, or one of its entries, is invalid."""

    exit_code = 3


class InputDataError(AlatauGeoError, OSError):
    """An input file is missing, unreadable or malformed."""

    exit_code = 4


class DemError(InputDataError):
    """An SRTM tile is missing, corrupt or of the wrong size."""


class TableError(InputDataError):
    """A gazetteer, corridor or river-name table has a bad row."""


class LayerError(InputDataError):
    """A vector layer cannot be read or fails validation."""


class StaleLayersError(InputDataError):
    """A workspace's layers were built from another plan, or another version of its plan."""


class CRSError(AlatauGeoError, ValueError):
    """A layer has no CRS, or one the operation cannot use."""

    exit_code = 4


class ExportError(AlatauGeoError, OSError):
    """An output file could not be written."""

    exit_code = 5


class StageCacheError(AlatauGeoError, ValueError):
    """A stage result cannot be stored exactly, or a stored one cannot be read back.

    The build never shows it: the stage is then computed (and, for a result
    the store cannot hold, simply not cached).
    """
