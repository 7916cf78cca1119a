"""The maps in Kazakh, Russian and English: text markup that carries all three, switched on the page.

Every text a map shows (layer and group names, legend rows, column headers,
values such as "Under way", notes, control titles) is written in English in
the code and translated here from :data:`alatau_geo.maps.translations.TRANSLATIONS`.
:func:`text_html` gives the escaped markup of a text in every language it
has, e.g. ``<span class="ag-i"><span lang="en">Water</span><span lang="kk">Су</span>
<span lang="ru">Вода</span></span>``; the page's style sheet shows the
language of ``<html lang>``, which the language switch sets. Names of
features come from their ``name_en``, ``name_kk`` and ``name_ru`` columns
(:func:`names_html`). Texts without a translation stay English.

Composite texts are translated piece by piece: ``"Service areas: Substation"``
is the translation of each side of ``": "`` (also ``" · "`` and ``"; "``), and
``"Elevation (m)"`` that of the label and of the unit in brackets. Numbers
in a text are data: ``"Short of 1,250 residents"`` is translated by the
entry ``"Short of {} residents"``, its numbers put back in their order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import escape
from typing import Any

from alatau_geo.maps.translations import TRANSLATIONS

__all__ = [
    "LANGUAGES",
    "check_language",
    "feature_names",
    "names_html",
    "svg_text",
    "text_html",
    "translate",
    "translations",
]

LANGUAGES: tuple[str, ...] = ("en", "kk", "ru")
"""Languages of the maps; English is the language of the code and the fallback."""
_INDEX = {"kk": 0, "ru": 1}
_SEPARATORS = (": ", " · ", "; ", ", ")
_BRACKETED = re.compile(r"(.+) \(([^()]+)\)")
_LABELLED = re.compile(r"(.+) \(([^()]+)\)(\.?)")  # a label, its unit or figures in brackets, perhaps a full stop
_NUMBER_UNIT = re.compile(r"([<>≤≥]?\s?[\d.,–-]+)\s?(\S+)")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SLOT = "{}"


def check_language(language: str) -> str:
    """`language` if the maps speak it, else a one-line ``ValueError`` naming the choices.

    >>> check_language("kk")
    'kk'
    """
    if language not in LANGUAGES:
        raise ValueError(f"map language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    return language


def translate(text: str, language: str) -> str:
    """`text` in `language`, piece by piece where the whole has no entry; English where none has.

    Examples
    --------
    >>> translate("Water", "ru"), translate("Elevation (m)", "ru"), translate("Kaskelen", "ru")
    ('Вода', 'Высота (м)', 'Kaskelen')
    >>> translate("Service areas: Substation", "kk")
    'Қызмет көрсету аймақтары: Қосалқы станция'
    >>> translate("Short of 1,250 residents", "ru")
    'Не хватает места для 1,250 жителей'
    """
    if language == "en" or not text:
        return text
    entry = TRANSLATIONS.get(text)
    if entry is not None:
        return entry[_INDEX[language]]
    numbered = _with_numbers(text, language)
    if numbered is not None:
        return numbered
    labelled = _LABELLED.fullmatch(text)
    if labelled and labelled.group(1) in TRANSLATIONS:  # "Outside the city (minimum, target) (ha)": kept whole
        label, inside, end = labelled.groups()
        return f"{translate(label, language)} ({translate(inside, language)}){end}"
    for separator in _SEPARATORS:
        if separator in text:
            return separator.join(translate(part, language) for part in text.split(separator))
    bracketed = _BRACKETED.fullmatch(text)
    if bracketed:
        return f"{translate(bracketed.group(1), language)} ({translate(bracketed.group(2), language)})"
    number = _NUMBER_UNIT.fullmatch(text)
    if number and number.group(2) in TRANSLATIONS:
        return f"{number.group(1)} {translate(number.group(2), language)}"
    return text


def _with_numbers(text: str, language: str) -> str | None:
    """`text` translated by the entry that has ``{}`` for each of its numbers, or None where none has."""
    numbers = _NUMBER.findall(text)
    entry = TRANSLATIONS.get(_NUMBER.sub(_SLOT, text)) if numbers else None
    if entry is None:
        return None
    pieces = entry[_INDEX[language]].split(_SLOT)
    if len(pieces) != len(numbers) + 1:  # an entry that drops or repeats a number would misstate the data
        return None
    return pieces[0] + "".join(number + piece for number, piece in zip(numbers, pieces[1:], strict=True))


def translations(text: str) -> dict[str, str]:
    """`text` in every language, by language code.

    >>> translations("Legend")["ru"]
    'Легенда'
    """
    return {language: translate(text, language) for language in LANGUAGES}


def _alternatives_html(texts: Mapping[str, str], *, tag: str = "span") -> str:
    if len(set(texts.values())) == 1:
        return escape(texts["en"])
    spans = "".join(f'<{tag} lang="{language}">{escape(texts[language])}</{tag}>' for language in LANGUAGES)
    return f'<{tag} class="ag-i">{spans}</{tag}>'


def text_html(text: str) -> str:
    """Escaped markup of a text in every language; plain escaped text where no translation differs.

    Examples
    --------
    >>> text_html("<b>")
    '&lt;b&gt;'
    >>> text_html("Water")
    '<span class="ag-i"><span lang="en">Water</span><span lang="kk">Су</span><span lang="ru">Вода</span></span>'
    """
    return _alternatives_html(translations(text))


def svg_text(text: str) -> str:
    """Escaped SVG ``<text>`` content of a text in every language: :func:`text_html` with ``<tspan>`` elements.

    >>> svg_text("km")
    '<tspan class="ag-i"><tspan lang="en">km</tspan><tspan lang="kk">км</tspan><tspan lang="ru">км</tspan></tspan>'
    """
    return _alternatives_html(translations(text), tag="tspan")


def _present(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    return ""


def feature_names(properties: Mapping[str, Any], *, fallback: str) -> dict[str, str]:
    """A feature's name in every language: its own, else its name in another language, else `fallback`.

    Examples
    --------
    >>> feature_names({"name_en": "Konaev", "name_ru": "Конаев"}, fallback="Place")
    {'en': 'Konaev', 'kk': 'Konaev', 'ru': 'Конаев'}
    >>> feature_names({}, fallback="Stream")["kk"]
    'Stream'
    """
    own = {language: _present(properties.get(f"name_{language}")) for language in LANGUAGES}
    other = own["en"] or own["ru"] or own["kk"] or _present(properties.get("name")) or fallback
    return {language: own[language] or other for language in LANGUAGES}


def names_html(names: Mapping[str, str]) -> str:
    """Escaped markup of a name in every language (see :func:`feature_names`).

    >>> names_html({"en": "<i>", "kk": "<i>", "ru": "<i>"})
    '&lt;i&gt;'
    """
    return _alternatives_html({language: names.get(language) or names["en"] for language in LANGUAGES})
