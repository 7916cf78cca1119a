"""Kazakh and Russian for the maps' own texts: English text -> (Kazakh, Russian).

The catalogue is data, ``alatau_geo/maps/translations.toml``, one line
``"English text" = ["Kazakh", "Russian"]`` per text, grouped by what the
texts are (units, controls, layers, popup headers, the thematic maps...).
Written by the engineers of this toolkit, not by certified translators: a
native speaker should review them before the maps are published. Names of
places, districts, rivers and objects are not there: they come from the
tables' ``name_kk`` and ``name_ru`` columns. Units are translated as the
Kazakh and Russian standards write them (м, км, га, мин).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType

from alatau_geo.core.errors import ExportError

__all__ = ["TRANSLATIONS", "read_catalogue"]

CATALOGUE = "translations.toml"


def read_catalogue(text: str) -> dict[str, tuple[str, str]]:
    """The entries of a catalogue's TOML text; an :class:`ExportError` naming the first entry that is not two texts.

    Examples
    --------
    >>> read_catalogue('"Water" = ["Су", "Вода"]')
    {'Water': ('Су', 'Вода')}
    >>> read_catalogue('"Water" = ["Су"]')
    Traceback (most recent call last):
    ...
    alatau_geo.core.errors.ExportError: translations.toml: 'Water' must be ["Kazakh", "Russian"], got ['Су']
    """
    entries: dict[str, tuple[str, str]] = {}
    for english, texts in tomllib.loads(text).items():
        if not (isinstance(texts, list) and len(texts) == 2 and all(isinstance(t, str) for t in texts)):
            raise ExportError(f'{CATALOGUE}: {english!r} must be ["Kazakh", "Russian"], got {texts!r}')
        entries[english] = (texts[0], texts[1])
    return entries


TRANSLATIONS: Mapping[str, tuple[str, str]] = MappingProxyType(
    read_catalogue(resources.files("alatau_geo.maps").joinpath(CATALOGUE).read_text(encoding="utf-8"))
)
"""English text -> (Kazakh, Russian)."""
