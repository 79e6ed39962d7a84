"""Reading ids from user input: pages, forms and the API share one rule."""

from __future__ import annotations

MAX_ID = 999_999_999_999_999_999  # 18 digits: fits a 64-bit column, like the path converter


def parse_id(value) -> int | None:
    """The id in ``value`` (an int or a string of ASCII digits), or None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= MAX_ID else None
    if isinstance(value, str) and 0 < len(value) <= 18 and value.isascii() and value.isdigit():
        return int(value)
    return None
