"""Plotly.js for every chart page (no CDN): the basic partial bundle vendored in
frontend/vendor/plotly.js/ (scatter, bar and pie traces; see its README), gzip-compressed once.

A first visit evaluated the full 4.7 MB bundle for about 1.2 s before any chart was drawn; our
charts draw only scatter and bar traces, and the basic bundle is a quarter of that. It is the
plotly.js version plotly.py ships, which Dash's graphs are built for, and the URL names the
version, so that a browser never keeps another one from its cache. gzip brings it to a third:
the compressed copy is made on first use, kept on disk for the other workers and later starts,
and in memory.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

PLOTLY_JS = Path(__file__).resolve().parents[1] / "vendor" / "plotly.js" / "plotly-basic.min.js"
PLOTLY_JS_VERSION = "4.1.1"
# What the bundle draws: a figure with another trace type would stay empty.
PLOTLY_JS_TRACE_TYPES = frozenset({"scatter", "bar", "pie"})


@cache
def _bundle() -> tuple[bytes, bytes, str]:
    """(plain, gzip-compressed, ETag) of the vendored plotly.js."""
    plain = PLOTLY_JS.read_bytes()
    digest = hashlib.sha256(plain).hexdigest()[:32]
    return plain, _compressed(plain, settings.VAR_DIR / "cache" / f"plotly-{digest}.min.js.gz"), f'"{digest}"'


def _compressed(plain: bytes, kept: Path) -> bytes:
    """The gzip copy, made once per version and kept on disk: compressing takes
    about 0.2 s, which a worker's first chart page would otherwise wait for."""
    if kept.is_file():
        return kept.read_bytes()
    compressed = gzip.compress(plain, compresslevel=6, mtime=0)
    kept.parent.mkdir(parents=True, exist_ok=True)
    partial = kept.with_name(f"{kept.name}.{os.getpid()}.partial")
    partial.write_bytes(compressed)
    partial.replace(kept)  # atomic: another worker reads the whole file or none
    return compressed


def _accepts_gzip(request: HttpRequest) -> bool:
    accepted = request.headers.get("Accept-Encoding", "")
    return any(part.split(";")[0].strip() == "gzip" for part in accepted.split(","))


@require_GET
@login_required
@cache_control(private=True, max_age=7 * 24 * 3600)
def plotly_js(request: HttpRequest) -> HttpResponse:
    """Plotly.js, gzip-compressed when the browser accepts it; a browser that still has this
    version (If-None-Match) gets 304 without the body."""
    plain, compressed, etag = _bundle()
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response: HttpResponse = HttpResponseNotModified()
    elif _accepts_gzip(request):
        response = HttpResponse(compressed, content_type="text/javascript")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(plain, content_type="text/javascript")
    response["ETag"] = etag
    patch_vary_headers(response, ["Accept-Encoding"])
    return response
