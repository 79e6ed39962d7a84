"""Signals of the allocation app, for the apps that build on it.

``batch_seats_added(batch=...)`` is sent inside ``batch_update``'s transaction, with the batch
row locked, when its capacity was raised: enrollments fills the new seats from the waitlist.
"""

from django.dispatch import Signal

batch_seats_added = Signal()
