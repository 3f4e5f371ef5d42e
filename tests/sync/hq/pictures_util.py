"""Small real pictures for the content tests, made without Pillow (not a dependency)."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def tiny_png(width: int, height: int, *, shade: int = 0) -> bytes:
    """A valid RGB PNG of ``width`` × ``height`` pixels (``shade`` varies its bytes)."""
    row = b"\x00" + bytes((shade + x) % 256 for x in range(width * 3))
    pixels = zlib.compress(row * height)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


def tiny_jpeg(width: int, height: int) -> bytes:
    """A JPEG's structure (SOI, APP0, SOF0, SOS, EOI) with the given frame size: enough
    for a header check, not for a decoder."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    sos = b"\xff\xda" + struct.pack(">HB", 8, 1) + b"\x01\x00\x00\x3f\x00"
    return b"\xff\xd8" + app0 + sof + sos + b"\x12\x34\x56" + b"\xff\xd9"
