"""A minimal PNG encoder for paletted images, so overlays need no imaging library.

Map overlays (shaded relief, slope classes) have at most 256 colours, so an
8-bit paletted PNG is exact and several times smaller than RGBA. The encoder
is a pure function of the array: the same input gives the same bytes.
"""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Sequence

import numpy as np

__all__ = ["encode_paletted_png", "png_data_url"]

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOUR_TYPE_PALETTE = 3
_FILTER_NONE, _FILTER_UP = 0, 2


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def _scanlines(indices: np.ndarray, filter_type: int) -> bytes:
    rows = indices.astype("uint8")
    if filter_type == _FILTER_UP:
        # Up filter: each byte minus the byte above, modulo 256; smooth
        # images (hillshade) compress much better this way.
        above = np.vstack([np.zeros((1, rows.shape[1]), dtype="uint8"), rows[:-1]])
        rows = rows - above  # uint8 arithmetic wraps modulo 256, as PNG wants
    marked = np.hstack([np.full((rows.shape[0], 1), filter_type, dtype="uint8"), rows])
    return marked.tobytes()


def encode_paletted_png(
    indices: np.ndarray,
    palette: Sequence[tuple[int, int, int, int]],
    *,
    compression: int = 6,
) -> bytes:
    """Encode a 2-D array of palette indices as a PNG file.

    Parameters
    ----------
    indices : ndarray of int, shape (rows, cols)
        Palette index of each pixel, row 0 at the top.
    palette : sequence of (r, g, b, a)
        Up to 256 colours, each channel 0-255; alpha 0 is transparent.
    compression : int, default 6
        zlib level, 0-9.

    Returns
    -------
    bytes
        The PNG file.

    Raises
    ------
    ValueError
        If the array is not 2-D or empty, the palette is empty or too long, or
        an index points past the palette.
    """
    indices = np.asarray(indices)
    if indices.ndim != 2 or indices.size == 0:
        raise ValueError(f"indices must be a non-empty 2-D array, got shape {indices.shape}")
    if not 0 < len(palette) <= 256:
        raise ValueError(f"palette must have 1 to 256 colours, got {len(palette)}")
    if int(indices.min()) < 0 or int(indices.max()) >= len(palette):
        raise ValueError(f"indices must lie in 0..{len(palette) - 1}, got {indices.min()}..{indices.max()}")
    height, width = indices.shape
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOUR_TYPE_PALETTE, 0, 0, 0)
    rgb = bytes(channel for colour in palette for channel in colour[:3])
    alpha = bytes(colour[3] for colour in palette)
    # Keep the filter that compresses better, judged at zlib's fastest level so
    # that only one is compressed at `compression` (on the relief images the
    # fastest level ranks them as level 6 does; either way the choice is a
    # function of the array alone, so the same input gives the same bytes).
    scanlines = [_scanlines(indices, kind) for kind in (_FILTER_NONE, _FILTER_UP)]
    data = zlib.compress(min(scanlines, key=lambda lines: len(zlib.compress(lines, 1))), compression)
    return b"".join(
        [
            _SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"PLTE", rgb),
            _chunk(b"tRNS", alpha),
            _chunk(b"IDAT", data),
            _chunk(b"IEND", b""),
        ]
    )


def png_data_url(png: bytes) -> str:
    """``data:`` URL of a PNG, for embedding in HTML."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
