"""Content pictures at HQ, kept by the sha256 of their bytes (issue 11).

A picture is checked before anything is stored: PNG, JPEG or WebP only, at most
:data:`MAX_PICTURE_BYTES`, and whole — Pillow is not a dependency, so the check is a
header parse without Qt: PNG chunks with their CRCs, the image data inflated to its end
and ``IEND``; JPEG markers up to the frame header and the end-of-image marker; WebP's RIFF
length and its VP8 / VP8L / VP8X header. Width and height come from the same headers.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from sync.hq.errors import StorageError
from sync.hq.schema import pictures

if TYPE_CHECKING:
    from sync.hq.tx import Tx

MAX_PICTURE_BYTES = 5 * 1024 * 1024
MAX_SIDE = 16_000  # pixels, either side
SHA256_HEX = re.compile(r"[0-9a-f]{64}", re.ASCII)


class PictureError(StorageError):
    """A picture HQ refuses: the message says why (nothing was stored)."""


@dataclass(frozen=True, slots=True)
class PictureInfo:
    sha256: str
    mime: str
    size: int
    width: int
    height: int


def _png(data: bytes) -> tuple[int, int]:
    pos = 8
    width = height = 0
    inflater = zlib.decompressobj()
    seen_idat = ended = False
    while pos < len(data):
        if pos + 12 > len(data):
            raise PictureError("broken PNG: a chunk is cut off (truncated file)")
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            raise PictureError("broken PNG: a chunk is cut off (truncated file)")
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : end])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise PictureError(f"broken PNG: chunk {kind.decode('latin-1')!r} fails its CRC")
        if pos == 8:
            if kind != b"IHDR" or length != 13:
                raise PictureError("broken PNG: the IHDR header is missing")
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            seen_idat = True
            try:
                while body:
                    inflater.decompress(body, 1 << 20)
                    body = inflater.unconsumed_tail
            except zlib.error as exc:
                raise PictureError(f"broken PNG: the image data does not inflate ({exc})") from exc
        elif kind == b"IEND":
            ended = True
            break
        pos = end
    if not ended:
        raise PictureError("broken PNG: no IEND chunk (truncated file)")
    if not seen_idat or not inflater.eof:
        raise PictureError("broken PNG: the image data is incomplete")
    return width, height


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg(data: bytes) -> tuple[int, int]:
    if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise PictureError("broken JPEG: no end-of-image marker (truncated file)")
    pos = 2
    size: tuple[int, int] | None = None
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise PictureError(f"broken JPEG: a marker is expected at byte {pos}")
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if length < 2 or pos + 2 + length > len(data):
            raise PictureError("broken JPEG: a segment is cut off")
        if marker in _SOF:
            if length < 7:
                raise PictureError("broken JPEG: the frame header is short")
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            size = (width, height)
        if marker == 0xDA:  # start of scan: the compressed data follows
            break
        pos += 2 + length
    if size is None:
        raise PictureError("broken JPEG: no frame header (width and height)")
    return size


def _webp(data: bytes) -> tuple[int, int]:
    (riff,) = struct.unpack("<I", data[4:8])
    if riff + 8 != len(data) and riff + 9 != len(data):  # odd sizes carry a pad byte
        raise PictureError("broken WebP: the RIFF length does not match (truncated file)")
    kind = data[12:16]
    body = data[20:]
    if kind == b"VP8 " and len(body) >= 10 and body[3:6] == b"\x9d\x01\x2a":
        w, h = struct.unpack("<HH", body[6:10])
        return w & 0x3FFF, h & 0x3FFF
    if kind == b"VP8L" and len(body) >= 5 and body[0] == 0x2F:
        bits = int.from_bytes(body[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if kind == b"VP8X" and len(body) >= 10:
        return int.from_bytes(body[4:7], "little") + 1, int.from_bytes(body[7:10], "little") + 1
    raise PictureError("broken WebP: no VP8, VP8L or VP8X header")


def inspect_picture(data: bytes) -> PictureInfo:
    """Check ``data`` is a whole PNG, JPEG or WebP within the limits; its hash and size."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise PictureError("not bytes")
    data = bytes(data)
    if not data:
        raise PictureError("empty file")
    if len(data) > MAX_PICTURE_BYTES:
        raise PictureError(
            f"too large: {len(data):,} bytes (at most {MAX_PICTURE_BYTES // (1024 * 1024)} MB)"
        )
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        mime, (width, height) = "image/png", _png(data)
    elif data.startswith(b"\xff\xd8\xff"):
        mime, (width, height) = "image/jpeg", _jpeg(data)
    elif len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        mime, (width, height) = "image/webp", _webp(data)
    else:
        raise PictureError("not a picture: only PNG, JPEG and WebP are accepted")
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise PictureError(f"unusable size {width}×{height} pixels (1 to {MAX_SIDE} a side)")
    return PictureInfo(hashlib.sha256(data).hexdigest(), mime, len(data), width, height)


def store_picture(tx: Tx, data: bytes, *, now: str) -> PictureInfo:
    """Check and keep one picture inside ``tx``; the same bytes twice are kept once."""
    info = inspect_picture(data)
    insert = (pg_insert if tx.postgres else sqlite_insert)(pictures)
    tx.conn.execute(
        insert.values(
            sha256=info.sha256,
            mime=info.mime,
            data=bytes(data),
            size=info.size,
            width=info.width,
            height=info.height,
            created_at=now,
        ).on_conflict_do_nothing(index_elements=["sha256"])
    )
    return info


class Pictures:
    """HQStorage's pictures (mixed into :class:`sync.hq.storage.HQStorage`)."""

    def put_picture(self, data: bytes) -> str:
        """Check and keep a picture; its sha256 hex. Raises :class:`PictureError`."""
        inspect_picture(data)  # refuse before opening a write transaction
        with self.write() as tx:  # type: ignore[attr-defined]
            return store_picture(tx, data, now=self.now()).sha256  # type: ignore[attr-defined]

    def picture(self, sha: str) -> tuple[str, bytes] | None:
        """(mime, bytes) of a kept picture, or None."""
        with self.lookup() as conn:  # type: ignore[attr-defined]
            row = conn.execute(
                sa.select(pictures.c.mime, pictures.c.data).where(pictures.c.sha256 == sha)
            ).first()
        return None if row is None else (row.mime, bytes(row.data))
