"""The student's own page: their schedule (``/me/``, namespace ``student``)."""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.access import student_required
from allocation import selectors as allocation_selectors
from allocation.selectors import calendar_pages
from allocation.selectors.mentor_slots import upcoming_bookings
from enrollments import selectors

# The next 1:1 bookings shown on the schedule.
UPCOMING_BOOKINGS = 3


@student_required
@require_GET
def student_schedule(request):
    """The student's batches with timetable, instructors and covers; mentor; past enrollments."""
    student = request.user
    enrollments = list(selectors.student_active_enrollments(student))
    return render(
        request,
        "enrollments/student_schedule.html",
        {
            "enrollments": enrollments,
            "timetable": allocation_selectors.weekly_timetable(
                e.batch for e in enrollments if e.batch_id
            ),
            "past": selectors.student_past_enrollments(student),
            "mentor": selectors.student_mentor(student),
            "next_sessions": calendar_pages.student_next_sessions(student, now=timezone.now()),
            "upcoming_bookings": list(upcoming_bookings(student)[:UPCOMING_BOOKINGS]),
        },
    )
