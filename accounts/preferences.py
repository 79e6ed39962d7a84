"""The kinds of notification a user may stop getting by email (the inbox always gets them).

Each entry is a notification event (``notifications.services.notify(event=...)``, the name of
its templates in ``templates/notifications/``) with the label the profile page shows. A
notifications test checks that every event with templates is listed here, except the account
emails (invitation, password reset), which are always sent: they are the only way in.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# (group, [(event, label), ...]) in the order of the profile page.
EMAIL_EVENT_GROUPS = [
    (
        _("Enrollments"),
        [
            ("enrollment_created", _("You were enrolled")),
            ("enrollment_cancelled", _("An enrollment was cancelled")),
            ("enrollment_expired", _("An enrollment expired")),
            ("enrollment_transferred", _("You were moved to another batch")),
            ("waitlist_promoted", _("A waitlist place turned into a seat")),
            ("waitlist_new_batch", _("A new batch for your waitlist")),
            ("waitlist_skipped", _("A waitlist seat skipped you for a clash")),
            ("request_decided", _("Your request for a place or a transfer was decided")),
        ],
    ),
    (
        _("Batches and sessions"),
        [
            ("batch_started", _("A batch started")),
            ("batch_completed", _("A batch completed")),
            ("batch_staff_assigned", _("You were assigned to a batch")),
            ("batch_staff_removed", _("You were removed from a batch")),
            ("session_added", _("A session was added")),
            ("session_cancelled", _("A session was cancelled")),
            ("session_moved", _("A session was moved")),
            ("holiday_cancelled", _("Sessions cancelled for a holiday")),
            ("feedback_requested", _("A batch asks for your rating")),
            ("attendance_at_risk", _("A student of yours is at risk")),
        ],
    ),
    (
        _("Leave and cover"),
        [
            ("leave_recorded", _("Leave was recorded")),
            ("cover_assigned_absent", _("Someone covers your sessions")),
            ("cover_assigned_substitute", _("You cover someone's sessions")),
            ("cover_assigned_student", _("A substitute teaches your session")),
        ],
    ),
    (
        _("Mentoring"),
        [
            ("mentor_assigned_student", _("You were given a mentor")),
            ("mentor_assigned_instructor", _("You were given a mentee")),
            ("mentor_unassigned", _("A mentoring assignment ended")),
            ("mentor_booking_created", _("A 1:1 session was booked")),
            ("mentor_booking_moved", _("A 1:1 session was moved")),
            ("mentor_booking_cancelled", _("A 1:1 session was cancelled")),
            ("mentor_booking_reminder", _("A reminder before a 1:1 session")),
        ],
    ),
]

EMAIL_EVENTS: dict[str, str] = {
    event: label for _group, entries in EMAIL_EVENT_GROUPS for event, label in entries
}

# Always emailed, whatever the preferences: without them an account cannot be opened.
ACCOUNT_EVENTS = frozenset({"invitation", "password_reset"})
