"""The API's one parser: JSON, with limits that keep a hostile body a 400 instead of a 500.

DRF's ``JSONParser`` lets two things through:

- Deep nesting: ``[[[[...]]]]`` a thousand levels deep (under 2 KB) makes ``json`` raise
  ``RecursionError``, which is no ``ValueError``, so DRF let it become a 500. No request of
  this API nests deeper than a few levels (a batch's ``schedule`` slots, ``paymentDetails``),
  so anything past ``MAX_DEPTH`` is refused.
- Size: when Django has not buffered the body yet, DRF reads it straight from the socket and
  ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is never checked. Here it is, before decoding.

The body is text in the charset the ``Content-Type`` names (UTF-8 when it names none, as RFC
8259 asks); a UTF-8 byte-order mark is skipped, and bytes that are not valid in the charset are
a 400 that says so.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext, gettext_noop
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils.json import strict_constant

# The deepest a body may nest: containers inside containers. The deepest real request is an
# object holding a list of objects (a batch's schedule), three levels.
MAX_DEPTH = 32

# Marked for translation, then filled in (the English text, as tests and clients know it).
_MSG_TOO_DEEP = gettext_noop("JSON parse error - the body nests deeper than %(depth)s levels.")
MSG_TOO_DEEP = _MSG_TOO_DEEP % {"depth": MAX_DEPTH}


def nesting_depth_exceeds(data, limit: int) -> bool:
    """Whether ``data`` (parsed JSON) has containers nested more than ``limit`` deep.

    Iterative, so that checking a hostile structure cannot itself run out of stack."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a size limit, a depth limit and clear decoding errors."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = b"" if stream is None else stream.read(-1 if limit is None else limit + 1)
        if limit is not None and len(raw) > limit:
            raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
        if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
            encoding = "utf-8-sig"  # the same, but skips a byte-order mark
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            charset = "UTF-8" if encoding == "utf-8-sig" else encoding
            raise ParseError(
                gettext(
                    "JSON parse error - the body is not valid %(charset)s (byte %(start)s); "
                    "send JSON encoded in UTF-8."
                )
                % {"charset": charset, "start": exc.start}
            ) from exc
        try:
            data = json.loads(text, parse_constant=strict_constant if self.strict else None)
        except RecursionError as exc:
            raise ParseError(gettext(_MSG_TOO_DEEP) % {"depth": MAX_DEPTH}) from exc
        except ValueError as exc:
            raise ParseError(gettext("JSON parse error - %(exc)s") % {"exc": exc}) from exc
        if nesting_depth_exceeds(data, MAX_DEPTH):
            raise ParseError(gettext(_MSG_TOO_DEEP) % {"depth": MAX_DEPTH})
        return data
