"""Turning failed Fink/LSST API answers into astroquery exceptions that carry the server's words."""
import json
import re

from .exceptions import FinkInvalidQueryError, FinkRemoteServiceError

__all__ = ["server_message", "error_for_response"]

# Most 400 errors (text/html) are the Python str() of a dict, not JSON
# (docs/fink/server_behaviour.rst lists the three error shapes):
#   {'status': 'error', 'text': 'A value for `diaObjectId` is required. ... \n'}
# and sometimes the text is the repr of an exception, unquoted: 'text': ValueError("...")}
_PYTHON_DICT_TEXT = re.compile(r"""^\{'status':\s*'error',\s*'text':\s*(?P<text>.*)\}\s*$""", re.DOTALL)
_HTML = re.compile(r"<(html|body|h1|title)\b", re.IGNORECASE)
_TITLE = re.compile(r"<title>\s*(.*?)\s*</title>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_MAX_BODY = 2000  # keep exception messages readable when a proxy answers with a whole HTML page


def _unquote_python_literal(text):
    """Return the content of a quoted Python string literal as printed by repr(), else the text."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        body = text[1:-1]
        # repr() shows a newline as backslash-n and escapes the quote; undo just those
        return body.replace("\\n", "\n").replace("\\'", "'").replace('\\"', '"').replace("\\\\", "\\")
    return text


def server_message(body):
    """
    Return the human-readable message inside an error body of the Fink API.

    Handles the three shapes the server uses: the python-dict text (``{'status': 'error', 'text':
    ...}``), the flask-restx JSON (``{"message": ...}``) and plain text (tags, schema 404).
    """
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else str(body)
    match = _PYTHON_DICT_TEXT.match(text.strip())
    if match:
        message = _unquote_python_literal(match.group("text"))
    else:
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict) and isinstance(decoded.get("message"), str):
            message = decoded["message"]
        else:
            message = text
    if _HTML.search(message):
        # a front end's error page (nginx): keep its words, not its markup
        title = _TITLE.search(message)
        message = title.group(1) if title else _TAG.sub(" ", message)
    # collapse the indentation of the tags messages and the trailing newlines
    message = " ".join(line.strip() for line in message.strip().splitlines() if line.strip())
    return message[:_MAX_BODY] + (" [...]" if len(message) > _MAX_BODY else "")


def error_for_response(status, body, url):
    """
    Build the exception for a non-200 answer.

    400 (and the schema service's 404 for an endpoint it cannot describe) means the server
    rejected the query: `~astroquery_fink.exceptions.FinkInvalidQueryError` (an
    `~astroquery.exceptions.InvalidQueryError`). Everything else (5xx, other 4xx such as 404 for an
    unknown path or 415) is `~astroquery_fink.exceptions.FinkRemoteServiceError` (a
    `~astroquery.exceptions.RemoteServiceError`). Either carries ``status`` (the HTTP code), ``url``
    and ``server_message`` (the server's text).
    """
    message = server_message(body)
    facts = {"status": status, "url": url, "server_message": message}
    if status == 400 or (status == 404 and message.endswith("is not a valid endpoint")):
        return FinkInvalidQueryError(f"The Fink API rejected the query (HTTP {status} from {url}): {message}", **facts)
    return FinkRemoteServiceError(f"The Fink API failed (HTTP {status} from {url}): {message}", **facts)
