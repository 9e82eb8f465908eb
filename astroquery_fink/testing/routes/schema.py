"""``/api/v1/schema``: field types and descriptions per endpoint, shaped like the server's answer (spec §2.6)."""

import functools
import json
from importlib import resources

from flask import Response

from ...columns import schema_columns
from ._base import text_response

PATH = "/api/v1/schema"
DESCRIPTION = "Retrieve the data schema for a given endpoint for Fink/Rubin API"
REQUIRED = ("endpoint",)

#: LSST alert-schema versions whose files the server can fetch completely (9.0 lacks
#: ``mpc_orbits.avsc``, hence 500), as the ``str()`` of ``major_version``/``minor_version``.
VERSIONS = (("10", "0"), ("11", "0"))
#: ``latest.txt`` of lsst/alert_packet (spec §5).
LATEST = ("11", "0")

# ``endpoint`` value -> column-map endpoint. /datatransfer/lsst needs the mpc_orbits and
# prvDia* records, which the column map does not describe: not emulated (answers 404).
_ENDPOINTS = {
    "/api/v1/sources": "sources",
    "/api/v1/fp": "fp",
    "/api/v1/objects": "objects",
    "/api/v1/conesearch": "conesearch",
    "/api/v1/cutouts": "cutouts",
    "/api/v1/sso": "sso",
    "/api/v1/tags": "tags",
    "/api/v1/statistics": "statistics",
}
_DATATRANSFER_FINK = "/datatransfer/fink"
_FINK_FAMILY = "Fink science module outputs (f:)"

# (fink_broker_version, fink_science_version) stamps of the hard-coded Fink entries
# (spec §2.6); everything else is 4.0 / 8.26.0.
_STAMPS = {
    "f:xm_tns_fullname": ("4.1", "8.36.0"),
    "f:xm_tns_redshift": ("4.1", "8.36.0"),
    "f:xm_legacydr8_zphot": ("4.1", "8.34.0"),
    "f:xm_legacydr8_e_zphot": ("4.1", "8.34.0"),
    "f:xm_legacydr8_pstar": ("4.1", "8.34.0"),
    "f:clf_elephant_kstest_science": ("4.1", "8.34.0"),
    "f:clf_elephant_kstest_template": ("4.1", "8.34.0"),
    "f:clf_cats_score": ("4.1", "8.35.0"),
    ("statistics", "f:in_tns"): ("4.1", "8.34.0"),
}
_DEFAULT_STAMP = ("4.0", "8.26.0")

# How the avsc docs spell the unit in their trailing bracket (spec §2.6 "Units in the avsc
# docs"), keyed by the column map's astropy unit string. The avsc only brackets the three
# dia* records; ssSource and the alert root carry none.
_AVSC_UNITS = {"nJy": "nJy", "deg": "deg", "pix": "pixel", "arcsec": "arcsec", "d": "d", "deg2": "deg**2",
               "nJy / d": "nJy/d"}
_BRACKETED_GROUPS = ("diaSource", "diaObject", "diaForcedSource")
# the avsc's own mistakes, reproduced: flux unit on two angular errors and on the moments
_AVSC_MISTAKES = {
    "r:trailLengthErr": "nJy",
    "r:trailAngleErr": "nJy",
    **{f"r:{m}": "nJy.arcsec**2" for m in ("ixx", "iyy", "ixy", "ixxPSF", "iyyPSF", "ixyPSF")},
}
# counts that 11.0 made non-nullable; 10.0 still declares them ["null", "int"] (spec §5)
_NULLABLE_IN_10 = {
    "diaSource": ("r:psfNdata", "r:trailNdata", "r:dipoleNdata", "r:bboxSize"),
    "diaObject": tuple(f"r:{b}_psfFluxNdata" for b in "ugrizy"),
}


@functools.cache
def _avro_types():
    """(group, column) -> raw Avro type, from the package's column map."""
    text = resources.files("astroquery_fink").joinpath("data", "columns.json").read_text(encoding="utf-8")
    groups = json.loads(text)["groups"]
    return {(group, name): entry["avro_type"] for group, entries in groups.items() for name, entry in entries.items()}


def avsc_unit(info):
    """
    Unit bracket that the LSST avsc doc of a field ends with, or None.

    Parameters
    ----------
    info : astroquery_fink.columns.ColumnInfo

    Returns
    -------
    str or None
        E.g. ``"nJy"``, ``"deg**2"``; None when the avsc doc has no bracket.
    """
    if info.group not in _BRACKETED_GROUPS or info.unit is None:
        return None
    if "MjdTai" in info.name and info.name != "r:midpointMjdTai":
        return None  # only midpointMjdTai carries [d] in the avsc
    if info.name in _AVSC_MISTAKES and info.group == "diaSource":
        return _AVSC_MISTAKES[info.name]
    return _AVSC_UNITS.get(info.unit.to_string(), info.unit.to_string())


def field_doc(info):
    """
    ``doc`` of a field: the project's description, with the avsc unit bracket if any.

    Parameters
    ----------
    info : astroquery_fink.columns.ColumnInfo

    Returns
    -------
    str
    """
    if info.group == "cutouts":
        return "TBD"  # the avsc cutout fields have no doc; the server substitutes "TBD"
    unit = avsc_unit(info)
    if unit is None:
        return info.description
    if info.description.endswith("."):
        return f"{info.description[:-1]} [{unit}]."
    return f"{info.description} [{unit}]"


def _avro_type(info, version):
    avro = _avro_types()[(info.group, info.name)]
    if version == ("10", "0") and info.name in _NULLABLE_IN_10.get(info.group, ()) and avro == "int":
        return ["null", "int"]
    return avro


def _entry(info, version, fink):
    entry = {"type": _avro_type(info, version), "doc": field_doc(info)}
    if fink:
        broker, science = _STAMPS.get((info.group, info.name), _STAMPS.get(info.name, _DEFAULT_STAMP))
        entry["fink_broker_version"] = broker
        entry["fink_science_version"] = science
    return entry


def _family(columns, version, fink, rename=None):
    rename = rename or (lambda name: name.split(":", 1)[1])
    entries = {rename(name): _entry(info, version, fink) for name, info in columns.items()}
    return {name: entries[name] for name in sorted(entries)}


def _datatransfer_fink_name(name):
    bare = name.split(":", 1)[1]
    return bare.replace("_", ".", 1)


def _datatransfer_fink_object_name(name):
    bare = name.split(":", 1)[1]
    return "misc." + bare if bare == "firstDiaSourceMjdTaiFink" else "pred." + bare


def describe(endpoint, version=LATEST):
    """
    The schema answer for an ``endpoint`` value, or None when the server answers 404.

    Parameters
    ----------
    endpoint : object
        The payload's ``endpoint`` (compared with ``==``, exact, with leading slash).
    version : tuple of str, optional
        ``(major, minor)``.

    Returns
    -------
    dict or None
        Family label -> field name (no prefix) -> info dict.
    """
    if endpoint == _DATATRANSFER_FINK:
        source = schema_columns("sources")[_FINK_FAMILY]
        obj = schema_columns("objects")[_FINK_FAMILY]
        fields = {_datatransfer_fink_name(n): _entry(i, version, True) for n, i in source.items()}
        fields.update({_datatransfer_fink_object_name(n): _entry(i, version, True) for n, i in obj.items()})
        return {"Fink": {name: fields[name] for name in sorted(fields)}}
    key = next((value for name, value in _ENDPOINTS.items() if endpoint == name), None)
    if key is None:
        return None
    families = schema_columns(key)
    # the server writes the LSST family first, then the Fink one
    order = sorted(families, key=lambda label: label == _FINK_FAMILY)
    return {family: _family(families[family], version, fink=family == _FINK_FAMILY) for family in order}


def respond(payload, ctx):
    """
    Answer a schema query.

    Parameters
    ----------
    payload : mapping
        ``endpoint`` (required), ``major_version`` and ``minor_version`` (both or neither).
    ctx : astroquery_fink.testing.routes._base.Context

    Returns
    -------
    flask.Response

    Raises
    ------
    LookupError
        For a schema version the server cannot fetch (then 500, spec §2.6).
    """
    if "major_version" not in payload or "minor_version" not in payload:
        version = LATEST
    else:
        # the server builds GitHub URLs with f-strings: only these spellings exist there
        version = (f"{payload['major_version']}", f"{payload['minor_version']}")
        if version not in VERSIONS:
            raise LookupError(f"no complete LSST alert schema {version}")
    families = describe(payload["endpoint"], version)
    if families is None:
        return text_response("{} is not a valid endpoint".format(payload["endpoint"]), 404)
    # plain json.dumps (default separators, ASCII escapes), not Flask's jsonify
    return Response(json.dumps(families), 200, content_type="application/json")
