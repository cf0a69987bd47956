"""Sparkplug payload compression: an outer payload with uuid `SPBV1.0_COMPRESSED` whose body
is the real payload, deflated (zlib, raw or gzip) or gzipped, named by an `algorithm` metric.

Pure byte work; the protobuf wrapping is done by `uns.sparkplug.decode` and `.encode`.
"""

from __future__ import annotations

import gzip
import zlib
from typing import Final, Literal

from uns.sparkplug.datatypes import bad

__all__ = ["COMPRESSED_UUID", "MAX_DECOMPRESSED_BYTES", "Algorithm", "compress_body", "inflate"]

COMPRESSED_UUID: Final = "SPBV1.0_COMPRESSED"
# A compressed body may expand to at most this many bytes: a guard against zip bombs.
MAX_DECOMPRESSED_BYTES: Final = 16 * 1024 * 1024

Algorithm = Literal["DEFLATE", "GZIP"]


def inflate(body: bytes, algorithm: str) -> bytes:
    """The decompressed body; DecodeError("bad_sparkplug") when it is not one."""
    if algorithm == "GZIP":
        wbits = 31
    elif algorithm == "DEFLATE":
        # Zlib-wrapped (RFC 1950) is the usual DEFLATE; accept raw RFC 1951 and gzip too.
        if body[:2] == b"\x1f\x8b":
            wbits = 31
        elif len(body) >= 2 and body[0] & 0x0F == 8 and int.from_bytes(body[:2]) % 31 == 0:
            wbits = 15
        else:
            wbits = -15
    else:
        raise bad(f"compressed payload: unknown algorithm {algorithm!r}")
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(body, MAX_DECOMPRESSED_BYTES + 1)
    except zlib.error as exc:
        raise bad(f"compressed payload: bad {algorithm} body: {exc}") from exc
    if len(out) > MAX_DECOMPRESSED_BYTES:
        raise bad(f"compressed payload expands past {MAX_DECOMPRESSED_BYTES} bytes")
    if not inflater.eof:
        raise bad(f"compressed payload: {algorithm} body is truncated")
    if inflater.unused_data:
        raise bad(f"compressed payload: bytes after the end of the {algorithm} body")
    return out


def compress_body(raw: bytes, algorithm: Algorithm) -> bytes:
    """`raw` compressed the way Sparkplug compression does; ValueError for another name."""
    if algorithm == "DEFLATE":
        return zlib.compress(raw)
    if algorithm == "GZIP":
        return gzip.compress(raw, mtime=0)  # mtime 0: the same input gives the same bytes
    raise ValueError(f"unknown compression {algorithm!r}; use DEFLATE or GZIP")
