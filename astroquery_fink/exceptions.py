"""Errors and warnings of astroquery_fink beyond astroquery's own."""
from astropy.utils.exceptions import AstropyWarning
from astroquery.exceptions import RemoteServiceError

__all__ = ["IncompleteResultError", "IncompleteResultWarning", "UnexpectedValuesWarning"]


class IncompleteResultError(RemoteServiceError):
    """
    Some requests of a multi-request query still failed after their retries.

    Attributes
    ----------
    table : `~astropy.table.Table`
        Everything the successful requests returned, annotated as a full result would be.
    failed_ids : list of str
        The identifiers whose request failed: ask for them again later.
    errors : list of tuple
        ``(ids, exception)`` for each failed request.
    """

    def __init__(self, message, *, table, failed_ids, errors):
        super().__init__(message)
        self.table = table
        self.failed_ids = failed_ids
        self.errors = errors


class IncompleteResultWarning(AstropyWarning):
    """Some requests failed; the returned table holds the others (``on_error="warn"``)."""


class UnexpectedValuesWarning(AstropyWarning):
    """A column's values do not have the type the column map gives it; they are kept as they came."""
