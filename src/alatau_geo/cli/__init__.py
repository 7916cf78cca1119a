"""The command-line tool, ``alatau-geo``: argument parsing, and each error class mapped to an exit code."""

from alatau_geo.cli.app import main, run

__all__ = ["main", "run"]
