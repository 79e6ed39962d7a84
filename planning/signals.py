"""``job_created(job_id=...)`` is sent inside ``job_create``'s transaction; ``tasks`` queues
the solver run once that transaction commits (so a rolled-back request runs nothing)."""

from django.dispatch import Signal

job_created = Signal()
