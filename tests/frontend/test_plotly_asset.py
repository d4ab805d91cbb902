"""Plotly.js reaches the browser gzip-compressed (a third of the bytes of a first visit) and a
browser that has it already is answered 304 without the body."""

import gzip

from frontend.review.plotly_asset import PLOTLY_JS, PLOTLY_JS_VERSION

URL = f"/sessions/plotly-basic-{PLOTLY_JS_VERSION}.min.js"  # the version in the URL: no stale cache


def test_plotly_js_is_gzipped_for_a_browser_that_accepts_it(world, login):
    response = login(world.clinician).get(URL, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip" and "Accept-Encoding" in response["Vary"]
    assert gzip.decompress(response.content) == PLOTLY_JS.read_bytes()
    assert len(response.content) < PLOTLY_JS.stat().st_size / 2
    assert "max-age=604800" in response["Cache-Control"]


def test_plotly_js_is_plain_without_gzip_and_304_when_the_browser_has_it(world, login):
    client = login(world.clinician)
    plain = client.get(URL)
    assert plain.status_code == 200 and not plain.has_header("Content-Encoding")
    assert plain.content == PLOTLY_JS.read_bytes()
    again = client.get(URL, HTTP_IF_NONE_MATCH=plain["ETag"], HTTP_ACCEPT_ENCODING="gzip")
    assert again.status_code == 304 and again.content == b""
