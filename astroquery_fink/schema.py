"""Turning the schema service's field descriptions into a Table with units, and remembering them."""
import re

from astropy import units as u
from astropy.table import Column, Table

from . import results
from .columns import column_info
from .exceptions import SchemaVersionWarning, UndescribedColumnWarning
from .layout import leading_first

__all__ = ["schema_table", "served_column", "forget_served", "check_schema_versions", "SchemaVersionWarning",
           "UndescribedColumnWarning", "warn_undescribed", "SCHEMA_FAMILIES", "DESCRIBED_MAJORS"]

#: Majors of the LSST alert schema whose fields the packaged column map describes: it is generated
#: from 11.0 (``columns.PACKAGED_SCHEMA_VERSION``), and 10.0 has the same field names, docs and units
#: (only some integer widths differ), which tests/test_schema_versions.py checks against ``/schema``.
DESCRIBED_MAJORS = (10, 11)
#: Prefixes of the columns the schema service describes (LSST fields, Fink added values); other
#: columns (the ephemerides' ``RA_h``, the client's ``v:separation_arcsec``) are described nowhere on the server
SCHEMA_FAMILIES = ("r:", "f:")
# column map entries whose columns /schema describes under another endpoint
_SCHEMA_OF = {"sso_ephemerides": "sso"}
# value format of f:lsst_schema_version: "lsst.v10_0"
_ROW_VERSION = re.compile(r"^lsst\.v(?P<major>\d+)_(?P<minor>\d+)$")


# (endpoint, column) -> (unit or None, description) of every field the schema service described in
# this session: the units of columns the packaged map does not know (a newer alert schema)
_SERVED = {}
# the row versions and (endpoint, column) pairs already warned about, so that each is named once per session
_WARNED_VERSIONS = set()
_WARNED_COLUMNS = set()

# The avsc docs end with a bracketed unit, e.g. "... flux [nJy]."; an optional final period follows it
_DOC_UNIT = re.compile(r"\[(?P<unit>[^\[\]]+)\]\.?\s*$")
# Family labels end with their prefix: "LSST original fields (r:)"
_FAMILY = re.compile(r"\((?P<prefix>[A-Za-z]+):\)")
_NAMES = ("name", "family", "type", "nullable", "unit", "description")


def _schema_type(avro_type):
    """Return (type name, nullable) for a raw Avro type from the schema service."""
    if isinstance(avro_type, list):
        others = [_schema_type(member)[0] for member in avro_type if member != "null"]
        return "|".join(others), "null" in avro_type
    if isinstance(avro_type, dict):
        return str(avro_type.get("logicalType") or avro_type.get("type")), False
    return str(avro_type), False


def _doc_unit(doc):
    """The unit written at the end of an avsc doc, if astropy understands it."""
    match = _DOC_UNIT.search(doc or "")
    if not match:
        return None
    try:
        return u.Unit(match.group("unit"), parse_strict="raise")
    except ValueError:
        return None


def _known_column(endpoint, name):
    """The packaged description of a column, `None` if the map has none (e.g. cutouts)."""
    try:
        return column_info(endpoint, name)
    except ValueError:
        return None


def schema_table(endpoint, families):
    """
    Turn the schema service's ``{family label: {field: info}}`` into a Table indexed by name.

    Its columns: ``name``, ``unit``, ``type``, ``description``, ``family`` and ``nullable``.

    Units come from the packaged column map, which corrects the schema's known mistakes
    (``trailLengthErr`` is arcsec, not nJy); a field the map does not know falls back to the
    bracketed unit at the end of its doc.
    """
    rows = []
    for label, fields in families.items():
        match = _FAMILY.search(label)
        family = match.group("prefix") if match else label
        for field, info in fields.items():
            name = f"{family}:{field}" if match else field
            type_name, nullable = _schema_type(info.get("type"))
            known = _known_column(endpoint, name)
            unit = known.unit if known is not None else _doc_unit(info.get("doc"))
            rows.append((name, family, type_name, nullable, unit if unit is not None else "", info.get("doc", "")))
    dtypes = {"unit": object, "nullable": bool}
    columns = [Column([row[index] for row in rows], name=name, dtype=dtypes.get(name, str if not rows else None))
               for index, name in enumerate(_NAMES)]
    # name, unit, type and description first (astroquery_fink.layout), as in every table
    table = Table(columns)[leading_first(list(_NAMES), "schema")]
    table.add_index("name")
    key = endpoint.strip("/").removeprefix("api/v1/")
    _SERVED.update({(key, row[0]): (row[4] or None, row[5]) for row in rows})
    return table


def served_column(endpoint, name):
    """
    The ``(unit, description)`` the schema service gave for a column in this session, or `None`.

    Filled by every schema answer read (`~astroquery_fink.FinkClass.get_schema`, also called when
    a requested column is unknown to the packaged map); no request is sent here.
    """
    return _SERVED.get((_SCHEMA_OF.get(endpoint, endpoint), name))


def forget_served():
    """Forget the schema answers read so far (and the versions warned about): for tests."""
    _SERVED.clear()
    _WARNED_VERSIONS.clear()
    _WARNED_COLUMNS.clear()


def warn_undescribed(endpoint, names):
    """
    Warn once per session and column (`UndescribedColumnWarning`) about result columns without
    any description: unknown to the packaged map and to the schemas read so far.
    """
    new = [name for name in names if (endpoint, name) not in _WARNED_COLUMNS]
    if not new:
        return
    _WARNED_COLUMNS.update((endpoint, name) for name in new)
    results.warn(f"{endpoint} columns {new} are unknown to the column map of this client (LSST alert schema "
                  f"{'/'.join(f'{major}.x' for major in DESCRIBED_MAJORS)}) and to the schemas read in this session, "
                  f"so they have no unit or description: call Fink.get_schema({endpoint!r}) once, then query again.",
                  UndescribedColumnWarning)


def check_schema_versions(values):
    """
    The distinct LSST alert schema versions in ``values`` (``f:lsst_schema_version``), sorted.

    Warns once per session and version (`SchemaVersionWarning`) for a version whose major is not
    in `DESCRIBED_MAJORS`: its columns may lack units or descriptions in the packaged map.
    """
    versions = sorted({str(value) for value in values if value is not None and str(value) not in ("", "--")})
    for version in versions:
        match = _ROW_VERSION.match(version)
        if version in _WARNED_VERSIONS or (match and int(match.group("major")) in DESCRIBED_MAJORS):
            continue
        _WARNED_VERSIONS.add(version)
        results.warn(f"rows come from LSST alert schema {version!r}, which the packaged column map does not "
                      f"describe (it knows majors {DESCRIBED_MAJORS}); columns it does not know take their units "
                      "from the schemas fetched in this session: call Fink.get_schema(endpoint) first.",
                      SchemaVersionWarning)
    return versions
