"""Fixtures the reports tests may share: allocation's ``admin``, ``course`` and ``make_batch``
(see allocation/tests/view_support.py). A module that defines its own still uses its own."""

from allocation.tests.view_support import admin, course, make_batch  # noqa: F401
