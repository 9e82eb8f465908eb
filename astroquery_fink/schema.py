"""Turning the schema service's field descriptions into a Table with units."""
import re

from astropy import units as u
from astropy.table import Column, Table

from .columns import column_info
from .layout import leading_first

__all__ = ["schema_table"]

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
    return table
