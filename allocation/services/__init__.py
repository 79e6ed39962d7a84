"""Every write to courses, batches, their staffing, rosters, cover and mentoring, by
sub-domain: batches (create, update, delete, schedule, notes, lifecycle moves), staffing
(primary, assistants, backups, supervising lead), rosters, cover (substitutes), sessions
(generation, cancel, move, add, per-session cover, trainer bookings), holidays and mentoring
(individual assignments, mentoring sessions); checks holds the locks they share.

Each service is keyword-only and atomic, validates with ``full_clean`` before it saves, and
refuses with a ``DomainError`` whose message is safe to show to the user. Docstrings say what
each one locks and what it refuses. Callers outside the package import from here; the modules
inside import each other by their full path.
"""

# The services refuse a non-instructor with the rule's own message; callers that catch it
# know it from here.
from allocation.eligibility import MSG_NOT_INSTRUCTOR
from allocation.services.batches import (
    BATCH_TIMING_FIELDS,
    BATCH_UPDATABLE_FIELDS,
    LIFECYCLE_MOVES,
    Slot,
    batch_advance_status,
    batch_create,
    batch_delete,
    batch_field_refusals,
    batch_note_add,
    batch_update,
    course_create,
    schedule_refusals,
    template_slots,
    validate_schedule,
)
from allocation.services.checks import (
    lock_batch,
    lock_course,
    validate_instructor,
)
from allocation.services.cover import (
    substitute_assign,
)
from allocation.services.holidays import (
    HolidayResult,
    holiday_create,
    holiday_delete,
)
from allocation.services.matching import student_needs_set
from allocation.services.mentoring import (
    MSG_ALREADY_ASSIGNED,
    individual_assign,
    individual_reassign,
    individual_unassign,
    mentoring_session_log,
    validate_assignment,
)
from allocation.services.people import MSG_OWN_ADMIN, teaching_places, user_update
from allocation.services.rosters import (
    check_roster_active,
    course_convert_to_multi_trainer,
    ensure_on_roster,
    roster_add,
    roster_remove,
    roster_update,
)
from allocation.services.sessions import (
    Regeneration,
    SessionChange,
    batch_sessions_regenerate,
    bookings_sync,
    session_add,
    session_cancel,
    session_cover_assign,
    session_move,
    sessions_generate_missing,
)
from allocation.services.staffing import (
    batch_assign_instructor,
    batch_primary_row_restore,
    batch_set_supervising_lead,
    batch_staff_add,
    batch_staff_remove,
    ensure_can_teach,
    set_primary,
    staff_role,
    teaching_trainer_ids,
)
from allocation.services.templates import batch_template_of, batch_template_save

__all__ = [
    "student_needs_set",
    "MSG_NOT_INSTRUCTOR",
    "BATCH_TIMING_FIELDS",
    "BATCH_UPDATABLE_FIELDS",
    "LIFECYCLE_MOVES",
    "MSG_ALREADY_ASSIGNED",
    "MSG_OWN_ADMIN",
    "HolidayResult",
    "Regeneration",
    "SessionChange",
    "Slot",
    "batch_advance_status",
    "batch_assign_instructor",
    "batch_create",
    "batch_delete",
    "batch_field_refusals",
    "batch_note_add",
    "batch_primary_row_restore",
    "batch_sessions_regenerate",
    "bookings_sync",
    "batch_set_supervising_lead",
    "batch_staff_add",
    "batch_staff_remove",
    "batch_template_of",
    "batch_template_save",
    "batch_update",
    "check_roster_active",
    "course_convert_to_multi_trainer",
    "course_create",
    "ensure_can_teach",
    "ensure_on_roster",
    "holiday_create",
    "holiday_delete",
    "individual_assign",
    "individual_reassign",
    "individual_unassign",
    "lock_batch",
    "lock_course",
    "mentoring_session_log",
    "roster_add",
    "roster_remove",
    "roster_update",
    "schedule_refusals",
    "session_add",
    "session_cancel",
    "session_cover_assign",
    "session_move",
    "sessions_generate_missing",
    "set_primary",
    "staff_role",
    "substitute_assign",
    "teaching_places",
    "teaching_trainer_ids",
    "template_slots",
    "user_update",
    "validate_assignment",
    "validate_instructor",
    "validate_schedule",
]
