"""Signals of the trainers app, for the apps that build on it (trainers knows none of them).

``leave_recorded(leave=...)`` is sent inside ``leave_record``'s transaction, after the leave
is saved; allocation notifies the course leads from it.
"""

from django.dispatch import Signal

leave_recorded = Signal()
