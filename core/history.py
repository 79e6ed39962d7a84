"""The audit trail's ``HistoricalRecords``: django-simple-history's, with its manager class
built once instead of on every use.

simple-history reaches a model's history through a descriptor that calls
``HistoryManager.from_queryset(HistoricalQuerySet)`` on every access: a new class each time
(``type()`` over the queryset's methods, found with ``inspect.getmembers``). Writing a history
row goes through that descriptor too, so every audited save paid for a class (a few percent
of an enrollment request, ``bench/enroll.py --profile``). The class depends only on its two
arguments, so building it once per pair changes nothing else.
"""

from __future__ import annotations

import functools

from simple_history.manager import HistoryManager as _HistoryManager
from simple_history.models import HistoricalRecords as _HistoricalRecords


class HistoryManager(_HistoryManager):
    @classmethod
    @functools.cache
    def from_queryset(cls, queryset_class, class_name=None):
        return super().from_queryset(queryset_class, class_name)


class HistoricalRecords(_HistoricalRecords):
    """``simple_history.models.HistoricalRecords`` with the manager above."""

    def __init__(self, *args, history_manager=HistoryManager, **kwargs):
        super().__init__(*args, history_manager=history_manager, **kwargs)
