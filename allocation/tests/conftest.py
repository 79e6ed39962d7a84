"""Fixtures the allocation view tests share (defined in view_support). A test module that
defines its own ``admin``, ``course`` or ``make_batch`` still uses its own."""

from allocation.tests.view_support import admin, course, make_batch  # noqa: F401
