"""The step callback a long job takes: the one that reports nothing.

A job (a build, its stages, a comparison, the map pages) calls ``on_step``
with a short label as each of its steps starts; the command line shows a
progress bar with it. This module is light on purpose: the jobs that import
it load no analysis code until a stage is computed.
"""

from __future__ import annotations

__all__ = ["no_progress"]


def no_progress(_label: str) -> None:
    """The default ``on_step``: report nothing."""
