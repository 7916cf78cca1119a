"""``python -m alatau_geo.cli``: the command-line tool (``--markdown`` prints the CLI reference)."""

import sys

from alatau_geo.cli.app import reference_markdown, run

# The guard keeps worker processes (Dask's spawned workers import this module) from running the tool.
if __name__ == "__main__":
    if sys.argv[1:] == ["--markdown"]:
        sys.stdout.write(reference_markdown())
        sys.exit(0)
    run()
