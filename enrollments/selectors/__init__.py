"""Reads that pages, API, commands and reports share, already joined; nothing here writes.

- ``enrollments``: the console's list, transfer targets, the student's schedule, the
  calendar feeds;
- ``waitlists``: the waitlist pages;
- ``integrity``: the data consistency checks.

This package only re-exports the public names (``from enrollments.selectors import ...``).
"""

from enrollments.selectors.enrollments import (
    active_enrollment_count,
    enrollment_list,
    student_active_enrollments,
    student_mentor,
    student_past_enrollments,
    transfer_targets,
    user_by_feed_token,
)
from enrollments.selectors.integrity import (
    CHECK_TITLES,
    CounterMismatch,
    Finding,
    counter_mismatches,
    integrity_findings,
)
from enrollments.selectors.waitlists import (
    waitlist_batches,
    waitlist_open_batches,
    waitlist_resolved,
    waitlist_waiting,
)

__all__ = [
    "CHECK_TITLES",
    "CounterMismatch",
    "Finding",
    "active_enrollment_count",
    "counter_mismatches",
    "enrollment_list",
    "integrity_findings",
    "student_active_enrollments",
    "student_mentor",
    "student_past_enrollments",
    "transfer_targets",
    "user_by_feed_token",
    "waitlist_batches",
    "waitlist_open_batches",
    "waitlist_resolved",
    "waitlist_waiting",
]
