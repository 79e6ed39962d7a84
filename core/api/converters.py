"""The path converter for ids: digits only, at most 18 of them.

Anything else in an id's place (``/api/batches/abc``, ``-1``, a 30-digit number) matches no
API route and reaches the catch-all, which answers 404 in the envelope; a number too large for
a 64-bit column never reaches the database.
"""


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))
