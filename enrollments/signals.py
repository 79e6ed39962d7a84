"""Signals of the enrollment services, for the background work that builds on them.

The services sit below ``enrollments.tasks`` (the task bodies call the services), so a service
cannot import a task to queue it. It sends a signal instead, inside its transaction, and
``enrollments.tasks`` (connected in ``apps.py``) queues the task once that transaction commits:

- ``waitlist_joined(course=...)``: a student joined a waitlist of ``course``
  (``waitlist_join``); a longer waitlist may call for a new batch (``auto_batch_check``).
- ``import_started(job_id=...)``: an import was marked running (``import_start``); its rows
  are imported in the background (``run_import``).
- ``lifecycle_ran(today=...)``: the daily run (``lifecycle_advance``) finished its own steps,
  outside any transaction; apps above enrollments do their daily part (feedback asks at
  midpoint). A receiver returns summary lines (or nothing); they join the run's summary.

And one for the apps above enrollments:

- ``demo_seeded(admin=..., today=...)``: ``enrollments.demo.seed`` has built its data set (sent
  inside its "acting as the admin" context, so audit rows name the admin); attendance adds a
  few weeks of marks to it, feedback a completed batch with answers.
"""

from django.dispatch import Signal

waitlist_joined = Signal()
import_started = Signal()
lifecycle_ran = Signal()
demo_seeded = Signal()
