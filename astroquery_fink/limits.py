"""
Limits on what one answer of the Fink API may make the decoders build, and the error raised past them.

A small answer can describe a huge table: a VOTable FIELD declaring ``arraysize="65535"``
reserves 256 KiB per row, a parquet file of a constant column holds millions of rows in a few
kilobytes, a JSON answer whose rows all have other keys makes one column per key. Each limit
below is checked on what the answer declares, before any table is built, by every reader
(the fast VOTable reader and astropy's alike).

The defaults are about five times the largest real answers: one request holds at most
``conf.max_ids_per_request`` (100) objects of at most 10 000 rows each, i.e. 1 000 000 rows; the
widest endpoint has 215 columns (``/conesearch``); the widest string the server declares is 28
characters. Raise a limit for one block of code with, e.g.::

    from astroquery_fink import conf
    with conf.set_temp("max_rows", 20_000_000):
        table = Fink.query_sources(ids)

or for good with ``conf.max_rows = 20_000_000``.
"""
from astropy.utils.exceptions import AstropyWarning
from astroquery.exceptions import TableParseError

__all__ = ["BOUNDS", "DecodeLimitError", "UnverifiedAnswerWarning", "limit", "check"]

#: Setting name -> (what it bounds, unit). The values are the items of the same names of
#: ``astroquery_fink.conf`` (their one source, with their defaults).
BOUNDS = {
    "max_rows": ("rows", "rows"),
    "max_columns": ("columns (VOTable FIELDs, parquet columns, JSON keys, csv header fields)", "columns"),
    "max_cells": ("cells (rows times columns)", "cells"),
    "max_string_width": ("declared width of a VOTable string FIELD (arraysize)", "characters"),
    "max_string_bytes": ("memory the declared VOTable string widths reserve (rows x width x 4)", "bytes"),
}


class DecodeLimitError(TableParseError):
    """
    An answer describes a table larger than a decoder limit allows.

    Attributes
    ----------
    setting : str
        The ``astroquery_fink.conf`` item to raise, e.g. ``"max_rows"``.
    limit : int
        Its value when the answer was refused.
    size : int
        What the answer declared.
    """

    def __init__(self, message, *, setting, limit, size):
        super().__init__(message)
        self.setting = setting
        self.limit = limit
        self.size = size


def limit(setting):
    """The current value of a decoder limit: ``astroquery_fink.conf.<setting>``."""
    from . import conf  # at call time: this module is imported while the package is

    return getattr(conf, setting)


def check(setting, size, what):
    """
    Raise `DecodeLimitError` if ``size`` exceeds the limit named ``setting``.

    ``what`` says where the size was found, e.g. ``"the votable answer declares"``.
    """
    bound = limit(setting)
    if size > bound:
        described, unit = BOUNDS[setting]
        raise DecodeLimitError(
            f"{what} {size:,} {unit}, more than the {bound:,} allowed ({described}); if this answer is expected, "
            f"raise the limit with astroquery_fink.conf.{setting} (e.g. conf.set_temp({setting!r}, ...))",
            setting=setting, limit=bound, size=size)


class UnverifiedAnswerWarning(AstropyWarning):
    """
    An answer was read whose completeness cannot be checked.

    A csv answer has no end marker: cut at a line end (by the server, a proxy or a connection
    closed without length framing) it reads as a complete, shorter table. VOTable, json and
    parquet answers end with a closing tag, bracket or footer, and a cut one is refused.
    """
