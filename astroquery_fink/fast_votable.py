"""Vectorised reader of the TABLEDATA VOTables the Fink server writes, giving what astropy's reader gives.

`read_tabledata` returns, for one VOTable document, the ``(name, values, mask)`` triples that
``astropy.io.votable.parse(..., verify="ignore").get_first_table()`` yields (values of the
dtype astropy uses, masked entries holding astropy's fillers), or `None` when the document
is anything else than what it knows how to read exactly; the caller then uses astropy.

How: the header (everything but the rows) is read with a real XML parser; the rows are
located with numpy on the positions of the ``<`` bytes (every ``<`` of the row section
must open one of ``<TR>``, ``</TR>``, ``<TD>``, ``</TD>``, ``<TD/>``); numbers are parsed
by pyarrow (correctly rounded, like Python's ``float``), text cells are decoded in one
pass per column. Like astropy, a cell's text is unescaped, then stripped of the XML blanks
(space, tab, CR, LF) at both ends; text between tags outside ``<TD>`` is ignored.

Limits, each of which returns `None` (astropy's answer is then the reference):

* an XML declaration naming another encoding than UTF-8, a byte-order mark, a DOCTYPE, a
  VOTable version other than 1.3, 1.4, 1.5 (empty cells are nulls from 1.3 on), other than
  exactly one TABLE;
* elements other than DESCRIPTION, INFO and RESOURCE around the TABLE, or than FIELD,
  DESCRIPTION, INFO and one DATA (after the FIELDs) inside it: no PARAM, GROUP, LINK,
  VALUES, COOSYS...; attributes other than ID, name, utype and ``type`` (results or meta)
  on RESOURCE, ID, name, ucd, utype and ``nrows`` on TABLE (no ``ref``), ID, name and value
  on INFO, ID, name, datatype, arraysize, unit, ucd, utype, width and precision on FIELD
  (no ``xtype``, no ``ref``; width and precision as astropy accepts them); a FIELD without
  a non-empty name;
* datatypes other than long, int, short, unsignedByte, double, float, bit, boolean, char,
  unicodeChar (no complex, no alias such as ``int64``); an arraysize on a number; string
  arraysizes other than ``*``, ``N`` and ``N*`` with ``1 <= N <= 65535``;
* BINARY, BINARY2, FITS or PARQUET serialization; anything in the rows but ``<TR>``,
  ``</TR>``, ``<TD>``, ``</TD>``, ``<TD/>`` and text (no attribute, namespace prefix,
  comment, CDATA section or processing instruction); rows without exactly one cell per
  FIELD (astropy raises E20/E21);
* what astropy reads with rules of its own: hexadecimal (``0x1F``) or ``nan`` integers,
  integers outside the datatype's range (astropy clamps them), numbers written with
  references or non-ASCII blanks, unparseable floats (astropy masks them), unknown bit or
  boolean values (astropy raises);
* what an XML parser refuses (control characters, ``]]>`` in text, references other than
  the five predefined entities and character references to XML characters, invalid UTF-8,
  U+FFFE, U+FFFF).
"""
import re
import xml.etree.ElementTree as ElementTree

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["read_tabledata"]

_OPEN, _CLOSE = b"<TABLEDATA>", b"</TABLEDATA>"
_VERSIONS = ("1.3", "1.4", "1.5")  # versions where an empty <TD/> is a null (astropy checks >= 1.3)

# Elements allowed as children of each element of the header; anything else falls back.
_CHILDREN = {
    "VOTABLE": {"DESCRIPTION", "INFO", "RESOURCE"},
    "RESOURCE": {"DESCRIPTION", "INFO", "RESOURCE", "TABLE"},
    "TABLE": {"DESCRIPTION", "INFO", "FIELD", "DATA"},
    "FIELD": {"DESCRIPTION"},
    "DATA": {"TABLEDATA"},
    "DESCRIPTION": set(),
    "INFO": set(),
    "TABLEDATA": set(),
}
# Attributes allowed on each element (VOTABLE: any), with the values astropy accepts where it
# raises on others whatever ``verify`` says; a value of None means any value.
_ATTRIBUTES = {
    "RESOURCE": {"ID": None, "name": None, "utype": None, "type": r"results|meta"},
    "TABLE": {"ID": None, "name": None, "ucd": None, "utype": None, "nrows": r"[0-9]+"},
    "FIELD": {"ID": None, "name": None, "datatype": None, "arraysize": None, "unit": None, "ucd": None,
              "utype": None, "width": r"0*[1-9][0-9]*", "precision": r"[EF]?[0-9]+"},
    "INFO": {"ID": None, "name": None, "value": None},
    "DESCRIPTION": {},
    "DATA": {},
    "TABLEDATA": {},
}
_MAX_WIDTH = 65535  # a larger fixed string width is no server's; astropy would allocate it for every row

# numpy dtype of each datatype, as astropy's converters define them.
_INTEGERS = {"long": np.int64, "int": np.int32, "short": np.int16, "unsignedByte": np.uint8}
_FLOATS = {"double": np.float64, "float": np.float32}
_TEXTS = ("char", "unicodeChar")
_LOGICALS = ("bit", "boolean")

# Tags allowed among the rows, by kind. Their second and third bytes differ, hence one lookup
# on them; the whole tag is compared after.
_ROW_TAGS = (b"<TD>", b"</TD>", b"<TD/>", b"<TR>", b"</TR>")
_K_TD, _K_TD_END, _K_TD_EMPTY, _K_TR, _K_TR_END, _K_OTHER = range(6)
_KIND_OF_BYTES = np.full(1 << 16, _K_OTHER, dtype=np.int8)
_TAG_MASK = np.zeros(len(_ROW_TAGS) + 1, dtype=np.uint32)  # _K_OTHER: mask 0, code 1, never equal
_TAG_CODE = np.ones(len(_ROW_TAGS) + 1, dtype=np.uint32)
for _kind, _tag in enumerate(_ROW_TAGS):
    _KIND_OF_BYTES[int.from_bytes(_tag[2:4], "little")] = _kind
    _TAG_MASK[_kind] = (1 << (8 * (len(_tag) - 1))) - 1
    _TAG_CODE[_kind] = int.from_bytes(_tag[1:], "little")

_BLANKS = " \t\r\n"  # what expat calls white space, and what astropy strips off a cell
_FORBIDDEN_BYTES = bytes(set(range(32)) - {9, 10, 13})  # control characters XML 1.0 forbids
_NONCHARACTERS = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")  # U+FFFE, U+FFFF: valid UTF-8, invalid XML
_REFERENCE = re.compile(rb"&(?:(amp|lt|gt|quot|apos)|#([0-9]+)|#x([0-9a-fA-F]+));")
_TEXT_REFERENCE = re.compile(_REFERENCE.pattern.decode())
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_BOOLEANS = {"TRUE": (True, False), "T": (True, False), "1": (True, False), "FALSE": (False, False),
             "F": (False, False), "0": (False, False), "?": (False, True), "": (False, True)}
_BITS = {"1": (True, False), "0": (False, False), "": (False, True)}

# Scans of the row section go block by block so that their boolean temporaries stay small
# next to a document of many megabytes, and so do the index arrays of a block of rows (several
# int64 per cell): 1 MiB blocks keep the peak of a 200k-row decode at ~1.3x the final Table
# (4 MiB: ~1.9x) for the same time (benchmarks/bench_decode.py).
_BLOCK = 1 << 20


def _blocks(raw):
    for begin in range(0, len(raw), _BLOCK):
        yield begin, raw[begin:begin + _BLOCK]


def _count(raw, test):
    return sum(int(np.count_nonzero(test(block))) for _, block in _blocks(raw))


def _index_dtype(document):
    # int32 offsets halve the index arrays; Arrow's "binary" takes them below 2 GiB
    return np.int32 if len(document) < 2**31 - 8 else np.int64


# Any of these while reading means "not a document this reader is sure about".
_GIVE_UP = (ValueError, TypeError, KeyError, IndexError, OverflowError, UnicodeError, SyntaxError, pa.ArrowException)


def read_tabledata(content, check=None):
    """
    Read the only table of a TABLEDATA VOTable as astropy would, or give up.

    Parameters
    ----------
    content : bytes
        The VOTable document.
    check : callable, optional
        ``check(header, nrows)``, called before anything is parsed or allocated with the
        document without its rows and the number of ``<TR>`` tags among them; whatever it
        raises (`astroquery_fink.decode` raises past its limits) propagates.

    Returns
    -------
    list of tuple or None
        One ``(name, values, mask)`` per FIELD, in order: the FIELD ``name``, the values as
        astropy's ``table.array.data[field.ID]`` and its mask as
        ``numpy.ma.getmaskarray(table.array[field.ID])``; ``[]`` for a TABLE without FIELD;
        `None` when the document uses something this reader does not handle (see the module
        documentation), so that the caller falls back to astropy.
    """
    try:
        return _read(bytes(content), check)
    except _GIVE_UP:
        return None


def _read(content, check=None):
    cut = _cut_rows(content)
    if cut is None:
        return None
    header, start, stop = cut
    nrows = content.count(b"<TR>", start, stop) if start >= 0 else 0
    if check is not None:
        check(header, nrows)
    fields = _header(header, has_rows=start >= 0)
    if not fields:  # None: a header this reader does not handle; []: a TABLE without FIELD
        return fields
    if start < 0:  # FIELDs and no DATA: astropy's zero-row table
        return [(name, np.zeros(0, dtype=_dtype(field)), np.zeros(0, dtype=bool)) for name, field in fields]
    # the rows are read in place (no copy of the document) unless their line ends need a fix
    rows = _rows(content, start, stop)
    outputs = None if rows is None else _read_rows(*rows, fields, nrows)
    if outputs is None:
        return None
    return [(name, *output) for (name, _), output in zip(fields, outputs, strict=True)]


def _cut_rows(content):
    """
    Split a document into its header (everything but the content of TABLEDATA) and the bounds
    of that content, ``-1, -1`` when it has no TABLEDATA; `None` if TABLEDATA is not closed.
    """
    start = content.find(_OPEN)
    if start < 0:
        return content, -1, -1
    # the last </TABLEDATA>: an earlier one would be a tag of the rows, which the row check refuses
    stop = content.rfind(_CLOSE)
    if stop < start:
        return None
    start += len(_OPEN)
    return content[:start] + content[stop:], start, stop


def _read_rows(document, start, stop, references, fields, nrows):
    """``(values, mask)`` of every FIELD from the ``nrows`` rows of the section ``document[start:stop]``, or `None`."""
    # an "x" anywhere in the rows, and integer columns need a look for hexadecimal
    may_hold_hex = document.find(b"x", start, stop) >= 0 or document.find(b"X", start, stop) >= 0
    # every "<" of the section is checked to open a row tag (see _cell_bounds): "<TR>" counts rows
    outputs = [(np.zeros(nrows, dtype=_dtype(field)), np.zeros(nrows, dtype=bool)) for _, field in fields]
    row = 0
    # Rows are read a block at a time into the final arrays: the index arrays of a block are
    # small, so the peak memory stays close to the size of the table itself.
    for block_start, block_stop in _row_blocks(document, start, stop):
        bounds = _cell_bounds(document, block_start, block_stop, len(fields))
        if bounds is None or row + len(bounds[0]) > nrows:
            return None
        cells = _Cells(document, *bounds, may_hold_hex)
        if not _fill_rows(cells, fields, references, outputs, row):
            return None
        row += cells.nrows
    return outputs if row == nrows else None


def _fill_rows(cells, fields, references, outputs, row):
    """Write the columns of a block of rows into ``outputs`` from ``row`` on; False if one cannot be read."""
    for index, (_, field) in enumerate(fields):
        column = _column(cells, index, field, references)
        values, mask = outputs[index]
        if column is None or column[0].dtype != values.dtype:
            return False
        values[row:row + cells.nrows], mask[row:row + cells.nrows] = column
    return True


def _row_blocks(document, start, stop):
    """
    Cut the row section into blocks of whole rows (each ends with ``</TR>``) of about `_BLOCK` bytes.

    Raises ValueError if text other than blanks follows the last row.
    """
    position = start
    while True:
        cut = document.rfind(b"</TR>", position, min(stop, position + _BLOCK))
        if cut < 0:  # no row ends within a block: a very long row, or no row left
            cut = document.find(b"</TR>", position, stop)
        if cut < 0:
            break
        yield position, cut + len(b"</TR>")
        position = cut + len(b"</TR>")
    if document.find(b"<", position, stop) >= 0:
        raise ValueError("markup after the last row")


# --- header -------------------------------------------------------------------------------


def _local(tag):
    """Element name without its namespace: astropy's parser ignores namespaces."""
    return tag.rpartition("}")[2]


def _header(header, has_rows):
    """
    Check the document around the rows and list its FIELDs.

    Parameters
    ----------
    header : bytes
        The document with the content of TABLEDATA cut out.
    has_rows : bool
        Whether the document has a TABLEDATA element.

    Returns
    -------
    list of (str, dict) or None
        ``(name, attributes)`` per FIELD, or `None` if the header is not one this reader handles.
    """
    root = _root(header)
    table = None if root is None else _only_table(root, has_rows)
    return None if table is None else _fields(table)


def _root(header):
    """The VOTABLE element of a UTF-8 document of a known version, else `None`."""
    if b"<!DOCTYPE" in header or not _is_utf8_declared(header):
        return None
    root = ElementTree.fromstring(header)
    if _local(root.tag) != "VOTABLE" or root.get("version") not in _VERSIONS:
        return None
    return root


def _only_table(root, has_rows):
    """
    The one TABLE of the document, provided every element is allowed and the document has a
    TABLEDATA exactly when rows were cut out of it, and that one is the element cut empty.
    """
    elements = list(root.iter())
    if not all(_is_allowed(element) for element in elements):
        return None
    tables = [element for element in elements if _local(element.tag) == "TABLE"]
    data = [element for element in elements if _local(element.tag) == "TABLEDATA"]
    if len(tables) != 1 or len(data) != int(has_rows) or (data and not _is_cut_out(data[0])):
        return None
    return tables[0]


def _is_cut_out(data):
    """Whether the parser's TABLEDATA is the one whose content was cut out: empty, without attribute."""
    return not (len(data) or (data.text or "").strip(_BLANKS) or data.attrib)


def _fields(table):
    """``(name, attributes)`` per FIELD of a TABLE whose FIELDs all come before its one DATA, else `None`."""
    children = [_local(child.tag) for child in table]
    if "DATA" in children:
        before, after = children[:children.index("DATA")], children[children.index("DATA"):]
        if after.count("DATA") > 1 or "FIELD" in after or "FIELD" not in before:
            return None
    described = [_field(child.attrib) for child in table if _local(child.tag) == "FIELD"]
    return None if any(field is None for field in described) else described


def _is_utf8_declared(header):
    if header.startswith(b"<?xml"):
        declaration = header[:header.find(b"?>")]
        encoding = re.search(rb"""encoding\s*=\s*["']([^"']*)["']""", declaration)
        return encoding is None or encoding.group(1).lower() == b"utf-8"
    return header[:1] == b"<"  # no declaration: UTF-8 by default, but no byte-order mark or blank


def _is_allowed(element):
    """Whether an element of the header, its attributes and its children are all known."""
    tag = _local(element.tag)
    allowed = _CHILDREN.get(tag)
    if allowed is None or not all(isinstance(child.tag, str) and _local(child.tag) in allowed for child in element):
        return False
    if tag == "VOTABLE":
        return True
    attributes = _ATTRIBUTES[tag]
    return all(name in attributes and (attributes[name] is None or re.fullmatch(attributes[name], value))
               for name, value in element.attrib.items())


def _field(attributes):
    """``(name, attributes)`` of a FIELD this reader can read, else `None`."""
    if not attributes.get("name"):  # no name, or an empty one: astropy falls back on the ID, or fails
        return None
    datatype = attributes.get("datatype")
    arraysize = attributes.get("arraysize")
    if datatype in _TEXTS:
        if arraysize is not None and arraysize != "*":
            match = re.fullmatch(r"([0-9]+)\*?", arraysize)
            if match is None or not 1 <= int(match.group(1)) <= _MAX_WIDTH:
                return None
    elif datatype not in _INTEGERS and datatype not in _FLOATS and datatype not in _LOGICALS:
        return None
    elif arraysize is not None:  # arrays of numbers
        return None
    return attributes["name"], attributes


def _dtype(field):
    """The numpy dtype astropy gives a FIELD."""
    datatype = field["datatype"]
    if datatype in _TEXTS:
        arraysize = field.get("arraysize", "1")  # astropy's default (with warning W47)
        return object if arraysize == "*" else f"<U{int(arraysize.rstrip('*'))}"
    if datatype in _LOGICALS:
        return bool
    return _INTEGERS.get(datatype) or _FLOATS[datatype]


# --- rows ---------------------------------------------------------------------------------


def _rows(document, start, stop):
    """
    Check the characters of the row section ``document[start:stop]`` as an XML parser would.

    Returns
    -------
    (bytes, int, int, bool) or None
        The document and the bounds of its row section (a new document if the line ends had
        to be normalized as XML requires), and whether the section holds entity or character
        references; `None` if an XML parser would reject it.
    """
    if not _legal_characters(document, start, stop):
        return None
    if document.find(b"\r", start, stop) >= 0:  # XML parsers turn CR LF and lone CR into LF first
        document = document[start:stop].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        start, stop = 0, len(document)
    if not _legal_utf8(document, start, stop):
        return None
    if document.find(b"&", start, stop) < 0:
        return document, start, stop, False
    if not _legal_references(document, start, stop):
        return None
    return document, start, stop, True


def _legal_characters(document, start, stop):
    """Whether the section is free of the control characters XML forbids and of ``]]>``."""
    raw = np.frombuffer(document, dtype=np.uint8, count=stop - start, offset=start)
    # control characters: compare the count of bytes below 0x20 with that of line feeds, which
    # is cheaper than a per-byte lookup; only a document with tabs or CRs needs the full check
    if _count(raw, lambda block: block < 0x20) != _count(raw, lambda block: block == 0x0A):
        if len(document[start:stop].translate(None, _FORBIDDEN_BYTES)) != stop - start:
            return False
    # "]]>" may not appear in text
    return document.find(b"]", start, stop) < 0 or document.find(b"]]>", start, stop) < 0


def _legal_utf8(document, start, stop):
    """Whether the section's bytes beyond ASCII are UTF-8 of XML characters; raises on invalid UTF-8."""
    raw = np.frombuffer(document, dtype=np.uint8, count=stop - start, offset=start)
    if not len(raw) or raw.max() < 0x80:
        return True
    body = document[start:stop]
    body.decode("utf-8")  # raises on invalid UTF-8 (and on encoded surrogates)
    return not any(character in body for character in _NONCHARACTERS)


def _legal_references(document, start, stop):
    """Whether every ``&`` of the section opens a predefined entity or a reference to an XML character."""
    references = _REFERENCE.findall(document, start, stop)
    if len(references) != document.count(b"&", start, stop):
        return False
    return all(_is_xml_char(_code_point(decimal, hexadecimal)) for named, decimal, hexadecimal in references
               if not named)


def _cell_bounds(document, start, stop, ncols):
    """
    Locate every cell of the row section ``document[start:stop]``.

    Every ``<`` of the section must open one of ``<TR>``, ``</TR>``, ``<TD>``, ``</TD>``,
    ``<TD/>``, each ``<TD>`` must be closed right away, and each row must hold ``ncols`` cells.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray) or None
        Offsets in ``document`` of the first byte and of the end of each cell, shape
        ``(nrows, ncols)``, or `None` if the rows are not that regular.
    """
    opening = _tag_offsets(document, start, stop)
    if not len(opening):
        return (np.zeros((0, ncols), dtype=opening.dtype),) * 2
    if opening[-1] > stop - 5:  # a row section ends with </TR>
        return None
    kind = _tag_kinds(document, opening)
    return None if kind is None else _cells_of_rows(opening, kind, ncols)


def _tag_offsets(document, start, stop):
    """Offsets in ``document`` of every ``<`` of the section, as an array of `_index_dtype`."""
    raw = np.frombuffer(document, dtype=np.uint8, count=stop - start, offset=start)
    index_dtype = _index_dtype(document)
    return np.concatenate([np.flatnonzero(block == ord("<")).astype(index_dtype) + (start + begin)
                           for begin, block in _blocks(raw)] or [np.zeros(0, dtype=index_dtype)])


def _tag_kinds(document, opening):
    """The kind (`_K_TD`...) of the tag each ``<`` opens, or `None` if one is not a row tag."""
    # the four bytes after every "<", as one unaligned little-endian uint32 (stride 1)
    following = np.ndarray((len(document) - 4,), dtype="<u4", buffer=document, offset=1, strides=(1,))
    kind = np.empty(len(opening), dtype=np.int8)
    for begin in range(0, len(opening), _BLOCK):
        after = following[opening[begin:begin + _BLOCK]]
        kind[begin:begin + _BLOCK] = block_kind = _KIND_OF_BYTES[(after >> 8) & 0xFFFF]
        if ((after & _TAG_MASK[block_kind]) != _TAG_CODE[block_kind]).any():
            return None  # another tag, a comment, CDATA, attributes...
    return kind


def _cells_of_rows(opening, kind, ncols):
    """The start and end offsets of the cells, shape ``(nrows, ncols)``, if the tags make regular rows."""
    is_td, is_td_end = kind == _K_TD, kind == _K_TD_END
    # every <TD> right before a </TD>, every </TD> right after a <TD>
    if is_td[-1] or is_td_end[0] or (is_td[:-1] != is_td_end[1:]).any():
        return None
    # the other tags must read <TR>, ncols cells (<TD> or <TD/>), </TR>, row after row
    kept = np.flatnonzero(~is_td_end).astype(opening.dtype)
    del is_td, is_td_end
    if len(kept) % (ncols + 2):
        return None
    tags = kept.reshape(-1, ncols + 2)  # indices in opening, one row of the table per line
    events = kind[tags]
    if (events[:, 0] != _K_TR).any() or (events[:, -1] != _K_TR_END).any() or (events[:, 1:-1] >= _K_TR).any():
        return None
    cells = tags[:, 1:-1]
    starts = opening[cells] + len(b"<TD>")
    # a <TD/> cell is empty; a <TD> cell ends where its </TD> starts (never past the </TR>)
    ends = np.where(events[:, 1:-1] == _K_TD, opening[cells + 1], starts)
    return starts, ends


# --- columns ------------------------------------------------------------------------------


class _Cells:
    """
    The cells of a block of rows as one Arrow binary array viewing the document, without a copy.

    Element ``2 k`` is cell ``k`` (row-major), element ``2 k + 1`` the markup after it, so
    that a column is one ``take`` away and no Python object is made per cell.
    """

    def __init__(self, document, starts, ends, may_hold_hex):
        self.may_hold_hex = may_hold_hex
        self.nrows, self.ncols = starts.shape
        self.lengths = ends - starts
        offsets = np.zeros(2 * starts.size + 1, dtype=starts.dtype)
        offsets[0:-1:2] = starts.ravel()
        offsets[1::2] = ends.ravel()
        offsets[-1] = offsets[-2] if starts.size else 0
        kind = pa.binary() if offsets.dtype == np.int32 else pa.large_binary()
        buffers = [None, pa.py_buffer(offsets), pa.py_buffer(document)]
        self.array = pa.Array.from_buffers(kind, 2 * starts.size, buffers)

    def column(self, index, empty_as_null):
        """One column as Arrow binary; empty cells null if ``empty_as_null``, else ``b""``."""
        positions = 2 * (np.arange(self.nrows, dtype=np.int64) * self.ncols + index)  # may pass 2**31
        mask = self.lengths[:, index] == 0 if empty_as_null else None
        return self.array.take(pa.array(positions, mask=mask))

    def stripped(self, index):
        """One column as numpy bytes stripped like astropy strips cells, and its empty cells."""
        cells = [value.strip(_BLANKS.encode()) for value in self.column(index, False).to_pylist()]
        values = np.array(cells, dtype=bytes) if cells else np.zeros(0, dtype="S1")
        return values, values == b""


def _column(cells, index, field, references):
    """``(values, mask)`` of one column, or `None`."""
    datatype = field["datatype"]
    if datatype in _INTEGERS:
        return _integers(cells, index, _INTEGERS[datatype])
    if datatype in _FLOATS:
        return _floats(cells, index, _FLOATS[datatype])
    texts = _texts(cells, index, references)
    if datatype in _LOGICALS:
        return _logicals(texts.tolist(), _BITS if datatype == "bit" else _BOOLEANS, upper=datatype == "boolean")
    dtype = _dtype(field)
    # a fixed-width dtype cuts longer values, as astropy's array does
    return (texts if dtype is object else texts.astype(dtype)), np.zeros(len(texts), dtype=bool)


def _integers(cells, index, dtype):
    column = cells.column(index, empty_as_null=True)
    if cells.may_hold_hex and pc.any(pc.match_substring(column, "x", ignore_case=True)).as_py():
        return None  # Arrow reads hexadecimal like C; astropy has its own rules for it
    try:
        values, empty = pc.cast(column, pa.int64()).fill_null(0).to_numpy(), cells.lengths[:, index] == 0
    except pa.ArrowInvalid:
        # blanks around the digits, "_" between them: numpy casts bytes with Python's int()
        stripped, empty = cells.stripped(index)
        values = np.where(empty, b"0", stripped).astype(np.int64)
    info = np.iinfo(dtype)
    if len(values) and (values.min() < info.min or values.max() > info.max):
        return None  # astropy clamps out-of-range integers to the datatype's range
    return values.astype(dtype), empty  # a copy: Arrow's zero-copy arrays are read-only


def _floats(cells, index, dtype):
    try:
        values = pc.cast(cells.column(index, empty_as_null=True), pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        # blanks around the number, "_" in it: numpy casts bytes with Python's float()
        stripped, empty = cells.stripped(index)
        values = np.where(empty, b"nan", stripped).astype(np.float64)
    # astropy parses a Python float, then stores it in the column: float32 is rounded from it,
    # to infinity beyond its range (without the warning numpy's cast would give). A copy in any
    # case: Arrow's zero-copy arrays are read-only.
    with np.errstate(over="ignore"):
        values = values.astype(dtype)
    return values, np.isnan(values)


def _texts(cells, index, references):
    """The cells of a column as an object array of str, unescaped and stripped of XML blanks."""
    column = pc.cast(cells.column(index, empty_as_null=False), pa.large_string())  # checks the UTF-8
    if references and pc.any(pc.match_substring(column, "&")).as_py():
        texts = [_TEXT_REFERENCE.sub(_unescape, value).strip(_BLANKS) for value in column.to_pylist()]
        values = np.empty(len(texts), dtype=object)
        values[:] = texts
        return values
    return pc.utf8_trim(column, _BLANKS).to_numpy(zero_copy_only=False)


def _logicals(texts, mapping, upper):
    pairs = [mapping[value.upper() if upper else value] for value in texts]
    if not pairs:
        return np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
    values, mask = np.array(pairs, dtype=bool).T
    return values.copy(), mask.copy()


# --- references ---------------------------------------------------------------------------


def _code_point(decimal, hexadecimal):
    return int(decimal) if decimal else int(hexadecimal, 16)


def _is_xml_char(code):
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


def _unescape(match):
    named, decimal, hexadecimal = match.groups()
    return _ENTITIES[named] if named else chr(_code_point(decimal, hexadecimal))
