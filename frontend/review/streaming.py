"""Streaming a stored file with HTTP Range requests (RFC 9110 single byte ranges), so that a
browser can play and seek a long video without downloading it whole."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.core.files.storage import Storage
from django.http import HttpResponse, StreamingHttpResponse

CHUNK_BYTES = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class UnsatisfiableRange(Exception):
    """The Range header asks for bytes the file does not have (HTTP 416)."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) byte positions, inclusive, of a single-range header; None without a usable
    header (the whole file is sent). Raises UnsatisfiableRange when no byte of it exists."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None  # multiple or malformed ranges: RFC 9110 lets the server send the whole file
    first_text, last_text = match.groups()
    if first_text == "" and last_text == "":
        return None
    if first_text == "":
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise UnsatisfiableRange
        return max(size - suffix, 0), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if first >= size or last < first:
        raise UnsatisfiableRange
    return first, min(last, size - 1)


def _chunks(storage: Storage, name: str, first: int, length: int) -> Iterator[bytes]:
    with storage.open(name, "rb") as handle:
        handle.seek(first)
        remaining = length
        while remaining > 0:
            data = handle.read(min(CHUNK_BYTES, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data


def ranged_file_response(
    storage: Storage, name: str, *, range_header: str | None, content_type: str
) -> HttpResponse:
    """200 with the whole file, 206 with the asked range, or 416 when it is unsatisfiable."""
    size = storage.size(name)
    try:
        byte_range = parse_range(range_header, size)
    except UnsatisfiableRange:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return response
    first, last = byte_range if byte_range else (0, size - 1)
    length = last - first + 1 if size else 0
    response = StreamingHttpResponse(
        _chunks(storage, name, first, length), status=206 if byte_range else 200, content_type=content_type
    )
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, no-store"
    if byte_range:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    return response
