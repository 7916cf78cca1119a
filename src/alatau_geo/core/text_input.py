"""Text files from a user's hands (plans, tables, edit files): checked before they are parsed.

A plan or a table may come from anyone: a colleague's e-mail, a spreadsheet
export, a browser. :func:`read_user_text` refuses, with one line naming the
file and the place, what no parser should see: a folder where a file was
expected, an absurd size, bytes that are not UTF-8 (with a hint when they look
like the Cyrillic code page cp1251), and control characters, including the
invisible bidirectional overrides that make text display differently from
what it says. :func:`check_input_file` does the cheap part for files read by
other libraries (an OpenStreetMap extract, a layer file).
"""

from __future__ import annotations

import re
import stat
from pathlib import Path

from alatau_geo.core.errors import AlatauGeoError, InputDataError

__all__ = [
    "MAX_PLAN_BYTES",
    "MAX_TABLE_BYTES",
    "check_input_file",
    "looks_like_cp1251",
    "read_user_text",
]

MAX_TABLE_BYTES = 20_000_000
"""Largest editable table read, bytes (the shipped tables are a few kB; a gazetteer of a whole country is ~10 MB)."""
MAX_PLAN_BYTES = 1_000_000
"""Largest plan or edit file read, bytes (the default plan is ~10 kB)."""

# C0 controls except tab, line feed and carriage return; DEL; C1 controls;
# bidirectional embeddings, overrides and isolates (U+202A-202E, U+2066-2069).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def check_input_file(path: str | Path, *, what: str, error: type[AlatauGeoError] = InputDataError,
                     max_bytes: int | None = None) -> Path:
    """Refuse a path that is not a readable file of sensible size.

    Parameters
    ----------
    path : str or Path
    what : str
        What the file is, for the message (``"OpenStreetMap extract"``).
    error : AlatauGeoError subclass, default InputDataError
        The error raised (its exit code is the command's).
    max_bytes : int, optional
        Largest size accepted.

    Returns
    -------
    Path
        `path`.

    Raises
    ------
    AlatauGeoError
        Of class `error`: ``<path>: is a folder, not a <what>``, ``<path>:
        <what> not found``, not readable, or too large.

    Examples
    --------
    >>> check_input_file("no_such.osm", what="OpenStreetMap extract")
    Traceback (most recent call last):
    ...
    alatau_geo.core.errors.InputDataError: no_such.osm: OpenStreetMap extract not found
    """
    path = Path(path)
    try:
        status = path.stat()
    except FileNotFoundError:
        raise error(f"{path}: {what} not found") from None
    except OSError as problem:
        raise error(f"{path}: cannot read {what} ({problem.strerror or problem})") from None
    if stat.S_ISDIR(status.st_mode):
        raise error(f"{path}: is a folder; expected the {what}")
    size = status.st_size
    if max_bytes is not None and size > max_bytes:
        raise error(f"{path}: {size:,} bytes is too large for a {what} (at most {max_bytes:,}); is it the right file?")
    return path


def looks_like_cp1251(data: bytes) -> bool:
    """Whether bytes that are not UTF-8 read as mostly Cyrillic letters in the code page cp1251.

    Examples
    --------
    >>> looks_like_cp1251("Алатау".encode("cp1251")), looks_like_cp1251("Zürich".encode("latin-1"))
    (True, False)
    """
    text = data.decode("cp1251", errors="replace")
    high = [i for i, char in enumerate(text) if ord(char) > 127]

    def in_cyrillic_word(i: int) -> bool:
        # A Cyrillic letter among Cyrillic letters; a Latin-1 accent (the ü of Zürich) sits among ASCII letters.
        neighbours = text[max(i - 1, 0) : i] + text[i + 1 : i + 2]
        return "\u0400" <= text[i] <= "\u04ff" and not any(c.isascii() and c.isalpha() for c in neighbours)

    return bool(high) and sum(map(in_cyrillic_word, high)) >= 0.8 * len(high)


def _position(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def _decode(data: bytes, *, path: Path, error: type[AlatauGeoError]) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as problem:
        start = problem.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        line = data.count(b"\n", 0, start) + 1
        hint = ("it looks like cp1251 (Cyrillic Windows): save it as UTF-8" if looks_like_cp1251(data)
                else "save it as UTF-8")
        raise error(f"{path}: line {line}: not UTF-8 text (byte 0x{data[start]:02X}); {hint}") from None


def read_user_text(path: str | Path, *, what: str, max_bytes: int,
                   error: type[AlatauGeoError] = InputDataError) -> str:
    r"""The text of a user's file, refused with one line if no parser should see it.

    Parameters
    ----------
    path : str or Path
    what : str
        What the file is, for messages (``"places table"``).
    max_bytes : int
        Largest size accepted, bytes (see :data:`MAX_TABLE_BYTES`, :data:`MAX_PLAN_BYTES`).
    error : AlatauGeoError subclass, default InputDataError
        The error raised: ``PlanError`` for a plan, ``TableError`` for a table.

    Returns
    -------
    str
        The text, a UTF-8 byte-order mark removed.

    Raises
    ------
    AlatauGeoError
        Of class `error`, naming the file and, where it applies, the line and
        column: a folder, a missing or unreadable file, too large, not UTF-8,
        a control character.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "t.csv").write_bytes(b"id,name_en\nx,Bell\x07\n")
    >>> read_user_text(folder / "t.csv", what="table", max_bytes=1000)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    alatau_geo.core.errors.InputDataError: ...t.csv: line 2, column 7: control character U+0007; remove it
    """
    path = check_input_file(path, what=what, error=error, max_bytes=max_bytes)
    try:
        data = path.read_bytes()
    except OSError as problem:
        raise error(f"{path}: cannot read {what} ({problem.strerror or problem})") from None
    text = _decode(data, path=path, error=error)
    match = _CONTROL.search(text)
    if match:
        raise error(f"{path}: {_position(text, match.start())}: control character U+{ord(match.group()):04X}; "
                    "remove it")
    return text
