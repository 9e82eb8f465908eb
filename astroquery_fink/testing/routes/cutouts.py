"""``/api/v1/cutouts``: the image stamps of an alert as PNG, FITS or arrays."""

import io

from flask import jsonify, send_file

from ..dataset import TABLES
from ..services import cutout_service
from ..store import decode
from ._base import error_response

PATH = "/api/v1/cutouts"
DESCRIPTION = "Get cutout alert data based on Rubin diaSourceId"
REQUIRED = ("diaSourceId", "kind")

_KINDS = ("Science", "Template", "Difference", "All")
_EXTENSIONS = {"PNG": ".png", "FITS": ".fits", "array": ""}


def _attachment(data, mimetype, filename):
    # flask.send_file, as the server: Content-Disposition "attachment; filename=..."
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename)


def respond(payload, ctx):
    """
    Answer a cutouts query.

    Parameters
    ----------
    payload : mapping
        ``diaSourceId``, ``kind`` (required), ``output-format`` (``PNG``), ``stretch``,
        ``colormap``, ``pmin``, ``pmax``, ``convolution_kernel``.
    ctx : astroquery_fink.testing.routes._base.Context

    Returns
    -------
    flask.Response
    """
    kind = payload["kind"]
    if not any(kind == name for name in _KINDS):
        raise AssertionError(kind)  # the server asserts: 500
    output_format = payload.get("output-format", "PNG")
    # the server reads the key directly here: kind=All without output-format is a KeyError, 500
    if kind == "All" and payload["output-format"] != "array":
        return error_response("The option `kind=All` is only compatible with `output-format=array`.\n")
    filename = "{}_{}".format(payload["diaSourceId"], kind)
    if not any(output_format == name for name in _EXTENSIONS):
        return error_response("output-format must be one of: PNG, FITS, or array.\n")
    filename += _EXTENSIONS[output_format]

    source_id = payload["diaSourceId"]
    table = ctx.store[TABLES["cutouts"]]
    found = table.scan(f"{source_id[-3:]}_{source_id}", "r:hdfs_path,r:midpointMjdTai,r:diaSourceId", ctx.nlimit)
    frame = decode(table, found.positions, found.columns, truncated=True, sort=False)
    if frame.empty:
        # an unknown id is a 200 with an empty body labelled image/png, whatever the format
        return _attachment(b"", "image/png", filename)
    # the cutout service gets the archive path after the namenode port
    hdfs_path = frame["r:hdfs_path"].to_numpy()[0].split(":8020")[1]
    if output_format == "FITS":
        fits_file = cutout_service.cutout_service(ctx.store, hdfs_path, kind, "FITS")
        return _attachment(fits_file, "application/octet-stream", filename)
    arrays = cutout_service.cutout_service(ctx.store, hdfs_path, kind, "array")
    if output_format == "array":
        if kind != "All":
            return jsonify({f"b:cutout{kind}": arrays[0]})
        return jsonify({"b:cutoutScience": arrays[0], "b:cutoutTemplate": arrays[1], "b:cutoutDifference": arrays[2]})
    return _attachment(cutout_service.render_png(arrays[0], payload), "image/png", filename)
