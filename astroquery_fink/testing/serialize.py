"""Tabular serialization (json, csv, votable, parquet) exactly as the Fink server's ``send_tabular_data``."""

import io
import threading
import warnings

import pandas as pd

__all__ = [
    "CONTENT_TYPES",
    "TEXT_HTML",
    "send_tabular_data",
    "as_pandas2_frame",
    "unsupported_format_body",
    "votable_fails_on_pandas2",
]

#: Content-Type header of each output format, byte for byte (csv and parquet ones are non-standard).
CONTENT_TYPES = {
    "json": "application/json",
    "csv": "application/csv",
    "votable": "text/xml",
    "parquet": "parquet",
}

#: What a Flask ``Response(str)`` carries by default; used by the 400s whose body is a printed Python dict.
TEXT_HTML = "text/html; charset=utf-8"

# ``warnings.catch_warnings`` mutates process-wide state, so two threads of the threaded
# server must not write VOTables at the same time.
_VOTABLE_LOCK = threading.Lock()


def unsupported_format_body(output_format):
    """
    Body of the 400 answer for an output format the server does not know: a printed Python dict, not JSON.

    Parameters
    ----------
    output_format : object
        The value received for ``output-format`` (formatted with ``str``, like the server's f-string).

    Returns
    -------
    str
        The Python ``str()`` of the error dict, single-quoted and with ``\\n`` shown as two characters.
    """
    rep = {
        "status": "error",
        "text": f"Output format `{output_format}` is not supported. Choose among json, csv, votable, or parquet\n",
    }
    return str(rep)


def _is_text_column(series):
    # string columns are ``str`` dtype under pandas 3; booleans are Python objects
    return pd.api.types.is_string_dtype(series.dtype) or series.dtype == object


def as_pandas2_frame(df):
    """
    Give a frame the dtypes pandas 2.x would have given it: text columns become object columns.

    Only the containers change: a missing value stays missing. The ``"nan"`` strings of
    the pandas-2 decoder are produced where it produces them, when the HBase rows are
    decoded (`astroquery_fink.testing.store.decode`); frames built from raw HBase strings
    (resolver, statistics) never went through ``astype(str)`` and keep NaN. The row-key
    index becomes object too, which gives the pandas-2 parquet types (``string``, not
    ``large_string``).

    Parameters
    ----------
    df : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
        A copy with ``str`` columns (and index) as object.
    """
    index = df.index
    if not isinstance(index, pd.RangeIndex):
        index = pd.Index(index.to_numpy(dtype=object), dtype=object)
    out = {}
    for name in df.columns:
        col = df[name]
        if pd.api.types.is_string_dtype(col.dtype) and col.dtype != object:
            values = col.to_numpy(dtype=object, na_value=None)
            col = pd.Series(values, dtype=object, name=name)
        else:
            # an explicit dtype: pandas 3 would infer ``str`` for an object column of strings
            col = pd.Series(col.array, name=name, dtype=col.dtype)
        out[name] = col.set_axis(index)
    return pd.DataFrame(out, index=index, columns=df.columns)


def _has_wholly_null_text_column(df):
    return any(_is_text_column(df[name]) and len(df) and df[name].isna().all() for name in df.columns)


def votable_fails_on_pandas2(df):
    """
    Whether the frame has a string or boolean column null in every row.

    Such a column, when a full read null-filled it, is a column of ``None`` on a pandas-2
    server, whose VOTable writer then fails; the fault ``votable_null_string_500`` uses
    this test to inject that failure on either flavour.

    Parameters
    ----------
    df : pandas.DataFrame

    Returns
    -------
    bool
    """
    return bool(_has_wholly_null_text_column(df))


def _first_row_missing_object_column(df):
    """Name of an object column whose first value is missing (None or NaN), else None."""
    if len(df) == 0:
        return None
    for name in df.columns:
        col = df[name]
        if col.dtype == object and pd.isna(col.iloc[0]):
            return name
    return None


def _to_votable(df):
    from astropy.io import votable
    from astropy.table import Table

    with _VOTABLE_LOCK, warnings.catch_warnings():
        # astropy warns (W03 "Implicitly generating an ID") for every ``r:``/``f:`` name; the
        # server ignores these warnings, and they must not escape into users' test runs.
        warnings.simplefilter("ignore")
        # astropy 6 to 8 raise "TypeError: len() of unsized object" here when an object
        # column starts with a missing value (it takes the length of the first element):
        # the server's 500. Booleans are such object columns (True/False/None), and so are
        # the pandas-2 string columns null-filled with None.
        table = Table.from_pandas(df)
        vt = votable.from_table(table)
        missing_first = _first_row_missing_object_column(df)
        if missing_first is not None:
            # an astropy version that accepts the column would hide the server's failure
            raise TypeError(f"len() of unsized object (column {missing_first!r})")
        buf = io.BytesIO()
        votable.writeto(vt, buf)
    return buf.getvalue()


def _to_parquet(df):
    buf = io.BytesIO()
    # index kept on purpose: it holds the HBase row keys (stored as column ``__index_level_0__``)
    df.to_parquet(buf)
    return buf.getvalue()


def send_tabular_data(df, output_format, *, pandas_major=3):
    """
    Serialize a decoded frame the way the server does.

    Parameters
    ----------
    df : pandas.DataFrame
        Decoded frame; its index holds the HBase row keys (or a RangeIndex when empty).
    output_format : object
        ``json``, ``csv``, ``votable`` or ``parquet`` (case-sensitive); anything else is an error.
    pandas_major : {3, 2}
        Which pandas major version the emulated server runs (they differ on missing text values and
        on which VOTable/parquet answers fail).

    Returns
    -------
    status : int
        HTTP status code.
    body : bytes
        Response body.
    content_type : str
        Exact ``Content-Type`` header value.

    Raises
    ------
    TypeError
        For ``votable`` when an object column (booleans; pandas-2 null-filled strings)
        starts with a missing value: the server answers 500.
    pyarrow.ArrowException
        For ``parquet`` when an object column mixes types (pandas-2 booleans with ``"nan"``):
        the server answers 500 too.
    """
    # equality tests, not a dict lookup: an unhashable JSON value must give the 400, not a crash
    if not any(output_format == name for name in CONTENT_TYPES):
        return 400, unsupported_format_body(output_format).encode("utf-8"), TEXT_HTML
    if pandas_major == 2:
        df = as_pandas2_frame(df)
    if output_format == "json":
        # pandas' default double_precision=10 is part of the contract: JSON floats have 10 decimals
        body = df.to_json(orient="records").encode("utf-8")
    elif output_format == "csv":
        body = df.to_csv(index=False).encode("utf-8")
    elif output_format == "votable":
        body = _to_votable(df)
    else:
        body = _to_parquet(df)
    return 200, body, CONTENT_TYPES[output_format]
