"""Plotly.js from the installed plotly package (no CDN), gzip-compressed once per version.

The full bundle is 4.7 MB and every chart page waits for it before anything is drawn: gzip
brings it to about a third, which is most of a first visit's bytes. The compressed copy is
made on first use, kept on disk for the other workers and later starts, and in memory.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import cache
from pathlib import Path

import plotly
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@cache
def _bundle() -> tuple[bytes, bytes, str]:
    """(plain, gzip-compressed, ETag) of the installed plotly.min.js."""
    plain = PLOTLY_JS.read_bytes()
    digest = hashlib.sha256(plain).hexdigest()[:32]
    return plain, _compressed(plain, settings.VAR_DIR / "cache" / f"plotly-{digest}.min.js.gz"), f'"{digest}"'


def _compressed(plain: bytes, kept: Path) -> bytes:
    """The gzip copy, made once per installed version and kept on disk: compressing takes
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
