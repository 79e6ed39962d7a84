"""Signals of the allocation app, for the apps that build on it.

``batch_seats_added(batch=...)`` is sent inside ``batch_update``'s transaction, with the batch
row locked, when its capacity was raised: enrollments fills the new seats from the waitlist.
A receiver returns the users it gave seats to (or nothing); ``batch_update`` hands them on
as ``batch.seats_filled_by``.

``batch_completed(batch=...)`` is sent inside the transaction that makes a batch Completed,
with its row locked: by the calendar (``batch_advance_status``) or by an admin's status change
(``batch_update``). feedback asks the batch's students to rate it.

``page_panels(page=..., request=..., **objects)`` is sent while allocation renders one of its
pages (``"batch_detail"`` with ``batch``, ``"instructor_dashboard"``, ``"workload_dashboard"``
with ``trainers``): an app above allocation (attendance) answers with the HTML of a panel to
show there, so its figures appear on these pages without allocation importing it. The
``{% page_panels %}`` tag (``allocation_tags``) sends it from the template.
"""

from django.dispatch import Signal

batch_seats_added = Signal()
batch_completed = Signal()
page_panels = Signal()
