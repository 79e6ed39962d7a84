"""Signals of the allocation app, for the apps that build on it.

``batch_seats_added(batch=...)`` is sent inside ``batch_update``'s transaction, with the batch
row locked, when its capacity was raised: enrollments fills the new seats from the waitlist.
A receiver returns the users it gave seats to (or nothing); ``batch_update`` hands them on
as ``batch.seats_filled_by``.
"""

from django.dispatch import Signal

batch_seats_added = Signal()
