"""Name-resolver data: the ``rubin.tns_resolver`` table and canned CDS Sesame answers (no network)."""

import re
from xml.sax.saxutils import escape, quoteattr

import pandas as pd

__all__ = ["TNS_COLUMNS", "tns_table", "sesame_xml", "SESAME"]

#: Columns of ``rubin.tns_resolver``, all strings (the resolver returns them untyped).
TNS_COLUMNS = (
    "f:declination", "f:discoverydate", "f:fullname", "f:internalname", "f:ra", "f:redshift", "f:salt", "f:type",
)

# TNS entries that are not replica objects: (fullname, internal names, ra, dec, type, redshift, discovery date).
# SN 2022and is the resolver documentation's example; SN 2024abtt the model example; the others
# are invented, e.g. SN 2022an/SN 2022ann to show the prefix match of the forward search.
_EXTERNAL = (
    ("SN 2022and", ("ATLAS22cwl", "PS22agq", "ZTF22aaaifcx"), "150.027554", "3.757143", "SN II", "0.043",
     "2022-01-27 10:49:26.400"),
    ("SN 2022an", ("ZTF22aaadxet",), "201.368342", "-13.250771", "SN Ia", "0.058", "2022-01-05 09:33:07.200"),
    ("SN 2022ann", ("ATLAS22dsm", "ZTF22aaaxkwn"), "179.142271", "22.384105", "SN Ia-91T", "0.071",
     "2022-01-30 12:02:52.800"),
    ("SN 2024abtt", ("ATLAS24vfh", "ZTF24abqzwt"), "36.145210", "-5.317042", "SN Ia", "0.054",
     "2024-11-12 08:12:09.600"),
    ("AT 2025xyb", ("GOTO25gnl",), "53.822731", "-27.180334", None, None, "2025-10-02 04:51:21.000"),
    ("AT 2025ylt", ("ATLAS25uyr",), "10.116280", "-43.921944", None, None, "2025-10-08 02:14:10.000"),
    ("SN 2025aaq", ("ZTF25abxkqu", "ATLAS25vbe"), "149.750019", "2.631145", "SN II", "0.029",
     "2025-10-13 11:40:33.600"),
    ("AT 2025abfm", ("GOTO25hwd",), "62.381406", "-47.981022", None, None, "2025-10-30 03:05:41.000"),
    ("SN 2026bd", ("ATLAS26aag",), "36.551893", "-4.401120", "SN Ic", "0.017", "2026-01-04 02:52:19.200"),
    ("AT 2026cj", ("GOTO26ada",), "8.512044", "-44.318870", None, None, "2026-01-06 06:41:02.400"),
)

# TNS names of replica objects (same as their f:xm_tns_* cells): fullname -> internal names
_INTERNAL_NAMES = {
    "SN 2025acqz": ("ATLAS25zzp", "ZTF25acsuzy"),
    "SN 2026ah": ("ZTF26aaaqbpc",),
    "AT 2026ak": ("GOTO26adw",),
    "SN 2026bqe": ("ATLAS26crd", "GOTO26aqp"),
    "SN 2026cxf": ("ATLAS26hbk",),
    "SN 2026dhm": ("ATLAS26fmr", "GOTO26bxz"),
    "SN 2026fyb": ("ZTF26aawvlp",),
    "AT 2026kqt": ("ATLAS26ozm",),
}


def _row(fullname, internal, ra, dec, kind, redshift, date):
    salt = fullname.lower()[-1]
    cells = {"f:fullname": fullname, "f:internalname": internal, "f:ra": ra, "f:declination": dec,
             "f:discoverydate": date, "f:salt": salt, "f:type": kind, "f:redshift": redshift}
    # lower-cased key salted with the name's last character: the forward search is case-insensitive
    return f"{salt}_{fullname.lower()}_{internal.lower()}", cells


def tns_table(objects, names):
    """
    One row per (TNS name, internal name): external examples and the replica's TNS objects.

    Parameters
    ----------
    objects : pandas.DataFrame
        ``rubin.diaObject`` cells (positions, first detection).
    names : dict of str to tuple
        diaObjectId -> (TNS name, type or None, redshift or NaN), as in their ``f:xm_tns_*`` cells.

    Returns
    -------
    tuple of (pandas.DataFrame, dict)
        Cells indexed by row key (a missing type or redshift is no cell), and the schema.
    """
    from astropy.time import Time  # astropy is imported on first use: a replica starts faster

    rows = dict(_row(full, internal, *rest) for full, internals, *rest in _EXTERNAL for internal in internals)
    by_id = objects.set_index(objects["r:diaObjectId"].astype("int64"))
    for oid, (fullname, kind, redshift) in names.items():
        obj = by_id.loc[int(oid)]
        # TNS discovery: half a day before Rubin's first detection
        date = Time(obj["f:firstDiaSourceMjdTaiFink"] - 0.5, format="mjd").iso
        z = None if pd.isna(redshift) else f"{redshift:g}"
        for internal in _INTERNAL_NAMES[fullname]:
            key, cells = _row(fullname, internal, f"{obj['r:ra']:.6f}", f"{obj['r:dec']:.6f}", kind, z, date)
            rows[key] = cells
    frame = pd.DataFrame.from_dict(rows, orient="index")[list(TNS_COLUMNS)]
    return frame, dict.fromkeys(TNS_COLUMNS, "string")


#: Canned SIMBAD answers of CDS Sesame: normalised name -> Resolver element children, in
#: document order (the resolver documentation's LEDA 1258009 example).
SESAME = {
    "leda 1258009": (
        ("oid", "10915827"),
        ("oname", "LEDA 1258009"),
        ("otype", "G"),
        ("jpos", "10:00:06.70 +03:45:25.9"),
        ("jradeg", "150.02792"),
        ("jdedeg", "3.75722"),
        ("refPos", "2003A&A...412...45P"),
        ("z", None),
        ("nrefs", "3"),
    ),
}

_HEADER = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<Sesame xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:noNamespaceSchemaLocation="http://vizier.cds.unistra.fr/xml/sesame_4x.xsd">\n')


def sesame_xml(name):
    """
    What ``http://cds.unistra.fr/cgi-bin/nph-sesame/-oxp/~S?<name>`` answers (XML).

    Parameters
    ----------
    name : str
        The queried name; matched case-insensitively, blanks collapsed [guess: Sesame's leniency].

    Returns
    -------
    bytes
    """
    fields = SESAME.get(re.sub(r"\s+", " ", str(name).strip()).casefold())
    lines = [_HEADER, '<Target option="S">\n', f"  <name>{escape(str(name))}</name>\n"]
    if fields is None:
        lines.append("  <INFO>*** Nothing found *** </INFO>\n")
    else:
        lines.append(f"  <Resolver name={quoteattr('Si=Simbad, all IDs (via url)')}>\n")
        for tag, value in fields:
            lines.append(f"    <{tag}/>\n" if value is None else f"    <{tag}>{escape(value)}</{tag}>\n")
        lines.append("  </Resolver>\n")
    lines.append("</Target>\n</Sesame>\n")
    return "".join(lines).encode("utf-8")
