"""Errors and warnings of astroquery_fink beyond astroquery's own."""
from astropy.utils.exceptions import AstropyWarning
from astroquery.exceptions import InvalidQueryError, RemoteServiceError, TableParseError

__all__ = ["SchemaVersionWarning", "UndescribedColumnWarning", "LossyIdWarning",
           "BatchInterrupted", "FinkInvalidQueryError", "FinkRemoteServiceError", "FinkLimitError",
           "ResponseTooLargeError", "InvalidServerError", "IncompleteResultError", "IncompleteResultWarning",
           "UnexpectedValuesWarning", "OutsideSurveyWarning", "BulkQueryWarning", "NameResolutionError"]


class _ServerFacts:
    """
    What is known of a failed exchange, for callers that decide on facts rather than on text.

    Attributes
    ----------
    status : int or None
        The HTTP status of the answer; `None` when no answer came (connection lost, body cut short).
    url : str or None
        The URL that was asked.
    server_message : str or None
        The server's own words, without markup; `None` when no answer came.
    """

    def __init__(self, message, *, status=None, url=None, server_message=None):
        super().__init__(message)
        self.status = status
        self.url = url
        self.server_message = server_message


class FinkInvalidQueryError(_ServerFacts, InvalidQueryError):
    """The Fink API refused the query (HTTP 400, or the schema service's 404 for an endpoint it does not describe)."""


class FinkRemoteServiceError(_ServerFacts, RemoteServiceError):
    """The Fink API failed (HTTP 5xx, other 4xx) or could not be reached."""


class FinkLimitError(TableParseError):
    """
    An answer goes beyond one of the client's limits; raise the setting named to accept it.

    Attributes
    ----------
    setting : str
        The configuration item that sets the limit (``"max_response_bytes"`` is ``conf.max_response_bytes``).
    limit : float
        The limit in force.
    url : str or None
        The URL that was asked.
    """

    def __init__(self, message, *, setting, limit, url=None):
        super().__init__(message)
        self.setting = setting
        self.limit = limit
        self.url = url


class ResponseTooLargeError(FinkLimitError):
    """
    An answer is larger than ``conf.max_response_bytes``, or decompresses beyond ``conf.max_compression_ratio``.

    Nothing of it is kept: it is refused from its ``Content-Length``, or as soon as the bytes read pass the limit.
    """


class InvalidServerError(InvalidQueryError, ValueError):
    """The server setting (``conf.server`` or ``FinkClass(server=...)``) is not an http(s) URL."""


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


class OutsideSurveyWarning(AstropyWarning):
    """
    A time of the query lies where no Rubin alert can be: a window ending before the survey's first
    alerts (``astroquery_fink.payload.SURVEY_START``, 2025-09-06), or starting after tomorrow. The
    query is sent as asked; its answer can only be empty.
    """


class BulkQueryWarning(AstropyWarning):
    """
    An id query names more objects than ``conf.bulk_ids_warning``: Fink asks that such volumes go
    through its Data Transfer service rather than its shared REST API. The query is sent as asked.
    """


class NameResolutionError(InvalidQueryError):
    """
    A name given instead of a ``diaObjectId`` could not be turned into Rubin ids.

    Attributes
    ----------
    name : str
        The name, as given.
    attempts : list of tuple
        ``(resolver, what it answered)`` for each resolver tried, in order: ``("tns", ...)``,
        ``("simbad", ...)``.
    """

    def __init__(self, message, *, name, attempts):
        super().__init__(message)
        self.name = name
        self.attempts = attempts


class BatchInterrupted(KeyboardInterrupt):
    """
    Ctrl-C during a batch of requests: what was fetched before it.

    Attributes
    ----------
    answers : ``astroquery_fink.batch.IdAnswers`` or None
        The rows of the requests that answered, the requests that failed, and ``unfetched_ids``.
    table : `~astropy.table.Table` or None
        The finished table of those rows, when the query got that far.
    """

    def __init__(self, answers=None):
        super().__init__()
        self.answers = answers
        self.table = None

    @property
    def unfetched_ids(self):
        """Every id without rows here: those never asked, and those whose request failed."""
        if self.answers is None:
            return []
        return self.answers.failed_ids + self.answers.unfetched_ids


class SchemaVersionWarning(AstropyWarning):
    """Rows come from an LSST alert schema whose fields the packaged column map may not describe."""


class UndescribedColumnWarning(AstropyWarning):
    """A result column is unknown to the packaged column map and to every schema read in the session."""


class LossyIdWarning(AstropyWarning):
    """A Data Transfer download holds identifiers written as floating point numbers, exact only up to 2**53."""
