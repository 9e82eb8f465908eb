"""The replica's /api/v1/cutouts over HTTP, answering as the real Fink/LSST server does."""
import io
import json

import numpy as np
import pytest
from astropy.io import fits
from PIL import Image

from astroquery_fink.testing import SPEC_SOURCE_IDS

from .replica_http import INTERNAL, assert_error, post, python_dict_error, records

CUT = "/api/v1/cutouts"
SOURCE = "170424319673368579"
UNKNOWN = "123456789012345678"


def cutout(http, url, diaSourceId=SOURCE, kind="Science", **extra):
    return post(http, url, CUT, diaSourceId=diaSourceId, kind=kind, **extra)


def png(response):
    assert (response.status_code, response.headers["Content-Type"]) == (200, "image/png"), response.content[:200]
    return Image.open(io.BytesIO(response.content))


@pytest.mark.parametrize("source", SPEC_SOURCE_IDS)
def test_published_sources_are_alerts_of_replica_objects(http, url, source):
    for kind in ("Science", "Template", "Difference"):
        image = png(cutout(http, url, source, kind))
        assert (image.format, image.size, image.mode) == ("PNG", (30, 30), "L")


def test_png_default(http, url):
    response = cutout(http, url)
    assert response.headers["Content-Disposition"] == f"attachment; filename={SOURCE}_Science.png"
    image = png(response)
    assert (image.size, image.mode) == ((30, 30), "L")
    assert image.getextrema() == png(cutout(http, url, pmin=0.1, pmax=0.5)).getextrema()  # sigmoid ignores them


def test_png_options_change_the_image(http, url):
    sigmoid = png(cutout(http, url, colormap="viridis"))
    assert sigmoid.mode == "RGBA"
    for stretch in ("linear", "sqrt", "power", "log", "asinh", "arcsinh"):
        assert png(cutout(http, url, colormap="viridis", stretch=stretch)).getextrema() != sigmoid.getextrema()
    assert png(cutout(http, url, colormap="Greys")).getextrema() != sigmoid.getextrema()
    assert png(cutout(http, url, colormap="viridis", convolution_kernel="gauss")).getextrema() != sigmoid.getextrema()
    assert png(cutout(http, url, convolution_kernel="box")).size == (30, 30)
    # the non-sigmoid cut levels are fixed (centre pixel, min + MAD): pmin/pmax change nothing
    linear = cutout(http, url, stretch="linear")
    assert cutout(http, url, stretch="linear", pmin=0.1, pmax=0.5).content == linear.content


def test_fits_has_three_hdus_without_simple(http, url):
    response = cutout(http, url, **{"output-format": "FITS"})
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"] == f"attachment; filename={SOURCE}_Science.fits"
    assert response.content.startswith(b"XTENSION= 'IMAGE   '")
    with pytest.raises(OSError, match="No SIMPLE card found"):
        fits.open(io.BytesIO(response.content))
    with fits.open(io.BytesIO(response.content), ignore_missing_simple=True) as hdul:
        assert len(hdul) == 3
        assert np.shape(hdul[0].data) == (30, 30) and hdul[0].data.dtype.kind == "f"
        assert [hdu.name for hdu in hdul[1:]] == ["UNCERT", "MASK"]
        science = np.array(hdul[0].data, dtype=float)
    array = records(cutout(http, url, **{"output-format": "array"}))["b:cutoutScience"]
    assert np.array_equal(science, np.array(array))


def test_arrays(http, url):
    single = cutout(http, url, kind="Difference", **{"output-format": "array"})
    assert "Content-Disposition" not in single.headers
    assert single.content.endswith(b"]]}\n") and b", " not in single.content  # jsonify: compact
    assert np.shape(records(single)["b:cutoutDifference"]) == (30, 30)
    every = cutout(http, url, kind="All", **{"output-format": "array"})
    body = records(every)
    assert list(body) == ["b:cutoutDifference", "b:cutoutScience", "b:cutoutTemplate"]  # sorted keys
    assert body["b:cutoutDifference"] == records(single)["b:cutoutDifference"]
    assert body["b:cutoutScience"] != body["b:cutoutTemplate"] != body["b:cutoutDifference"]
    # science - template = difference, pixel by pixel (to the 1/8 nJy quantisation)
    diff = np.array(body["b:cutoutScience"]) - np.array(body["b:cutoutTemplate"])
    assert np.allclose(diff, body["b:cutoutDifference"], atol=0.13)


def test_nan_pixels_are_bare_nan_tokens(http, url):
    response = cutout(http, url, "169298437355340113", "Template", **{"output-format": "array"})
    assert b"[NaN,NaN,NaN,NaN," in response.content
    assert np.isnan(json.loads(response.content)["b:cutoutTemplate"][0][0])
    assert png(cutout(http, url, "169298437355340113", "Template")).size == (30, 30)  # NaN -> 0 before the stretch


@pytest.mark.parametrize(("fmt", "filename"), [(None, "_Science.png"), ("PNG", "_Science.png"),
                                               ("FITS", "_Science.fits"), ("array", "_Science")])
def test_unknown_id_is_an_empty_png(http, url, fmt, filename):
    extra = {} if fmt is None else {"output-format": fmt}
    response = cutout(http, url, UNKNOWN, stretch="nonsense", **extra)  # options are never looked at
    assert (response.status_code, response.headers["Content-Type"], response.content) == (200, "image/png", b"")
    assert response.headers["Content-Disposition"] == f"attachment; filename={UNKNOWN}{filename}"


def test_python_dict_errors(http, url):
    all_png = python_dict_error("The option `kind=All` is only compatible with `output-format=array`.\n")
    assert_error(cutout(http, url, kind="All", **{"output-format": "PNG"}), 400, all_png)
    assert_error(cutout(http, url, kind="All", **{"output-format": "FITS"}), 400, all_png)
    bad_format = python_dict_error("output-format must be one of: PNG, FITS, or array.\n")
    for fmt in ("png", "json", "fits", ""):
        assert_error(cutout(http, url, **{"output-format": fmt}), 400, bad_format)
    missing = b"{'status': 'error', 'text': 'A value for `kind` is required. See https://api.ztf.fink-portal.org \\n'}"
    assert_error(http.get(url + CUT, params={"diaSourceId": SOURCE}), 400, missing)


@pytest.mark.parametrize("payload", [
    {"kind": "science"},
    {"kind": "All"},  # without output-format: KeyError
    {"stretch": "histeq"},
    {"colormap": "not_a_colormap"},
    {"convolution_kernel": "tophat"},
    {"diaSourceId": int(SOURCE)},
])
def test_server_crashes(http, url, payload):
    body = {"diaSourceId": SOURCE, "kind": "Science", **payload}
    assert_error(http.post(url + CUT, json=body), 500, INTERNAL, "application/json")


def test_get_query_string(http, url):
    by_get = http.get(url + CUT, params={"diaSourceId": SOURCE, "kind": "Template", "output-format": "array"})
    assert by_get.content == cutout(http, url, kind="Template", **{"output-format": "array"}).content
