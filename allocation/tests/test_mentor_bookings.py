"""1:1 mentoring bookings: the mentor's free slots, booking, cancel and move within the
notice window, the reminder, and logging the session against its booking."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from allocation.models import (
    ClassSession,
    Holiday,
    MentorBooking,
    MentorBookingStatus,
    SessionKind,
    TrainerBooking,
)
from allocation.selectors.mentor_slots import mentor_slots
from allocation.services import mentoring_session_log
from allocation.services.mentor_bookings import (
    MSG_SLOT_TAKEN,
    mentor_booking_cancel,
    mentor_booking_create,
    mentor_booking_move,
    mentoring_reminders_send,
)
from allocation.tests.mentoring_world import (
    MONDAY_1,
    MONDAY_2,
    NOW,
    build_mentoring,
    kolkata,
)
from core.errors import DomainError
from notifications.models import Notification
from tests.support import BatchFactory
from trainers.models import TrainerLeave, TrainerProfile, TrainerStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return build_mentoring()


def starts(slots):
    return [s.start_at for s in slots]


def week(day):
    """The slots window of one Monday (mentor's whole day)."""
    return {
        "start": kolkata(day, 0),
        "end": kolkata(day + dt.timedelta(days=1), 0),
        "now": NOW,
    }


# --- slots --------------------------------------------------------------------------------


def test_slots_cut_from_windows_in_the_mentors_zone(w):
    slots = mentor_slots(w.mentor, **week(MONDAY_1))
    assert starts(slots) == [kolkata(MONDAY_1, 17), kolkata(MONDAY_1, 18)]
    assert slots[0].start_at == dt.datetime(2027, 3, 22, 11, 30, tzinfo=dt.UTC)
    assert all(s.minutes == 60 for s in slots)


def test_slot_length_is_the_mentors_setting():
    w = build_mentoring(minutes=45)
    slots = mentor_slots(w.mentor, **week(MONDAY_1))
    # 17:00, 17:45 (18:30 would end at 19:15, after the window).
    assert starts(slots) == [kolkata(MONDAY_1, 17), kolkata(MONDAY_1, 17, 45)]


def test_no_windows_no_slots(w):
    w.mentor.availability.all().delete()
    assert mentor_slots(w.mentor, **week(MONDAY_1)) == []


def test_inactive_mentor_offers_nothing(w):
    TrainerProfile.objects.filter(user=w.mentor).update(status=TrainerStatus.INACTIVE)
    assert mentor_slots(w.mentor, **week(MONDAY_1)) == []


def test_slots_minus_teaching_sessions(w):
    batch = BatchFactory(assigned_instructor=w.mentor)
    session = ClassSession.objects.create(
        batch=batch,
        start_at=kolkata(MONDAY_1, 17, 30),
        end_at=kolkata(MONDAY_1, 18),
        local_date=MONDAY_1,
        kind=SessionKind.EXTRA,
    )
    TrainerBooking.objects.create(
        trainer=w.mentor,
        session=session,
        batch=batch,
        role="cover",
        start_at=session.start_at,
        end_at=session.end_at,
    )
    # Half-open: the 18:00 slot starts when the class ends.
    assert starts(mentor_slots(w.mentor, **week(MONDAY_1))) == [kolkata(MONDAY_1, 18)]


def test_slots_minus_other_bookings_but_cancelled_ones_free_the_time(w):
    booking = mentor_booking_create(
        mentee=w.other, start_at=kolkata(MONDAY_1, 17), booked_by=w.other, now=NOW
    )
    assert starts(mentor_slots(w.mentor, **week(MONDAY_1))) == [kolkata(MONDAY_1, 18)]
    mentor_booking_cancel(booking=booking, cancelled_by=w.other, now=NOW)
    assert len(mentor_slots(w.mentor, **week(MONDAY_1))) == 2


def test_slots_minus_leave_and_platform_holidays_not_other_closures(w):
    TrainerLeave.objects.create(trainer=w.mentor, start_date=MONDAY_1, end_date=MONDAY_1)
    assert mentor_slots(w.mentor, **week(MONDAY_1)) == []
    assert len(mentor_slots(w.mentor, **week(MONDAY_2))) == 2
    Holiday.objects.create(name="Spring break", start_date=MONDAY_2, end_date=MONDAY_2)
    assert mentor_slots(w.mentor, **week(MONDAY_2)) == []
    # A batch's closure cancels that batch's sessions; it does not close the mentor.
    third = MONDAY_2 + dt.timedelta(days=7)
    Holiday.objects.create(
        name="Batch closed", start_date=third, end_date=third, batch=BatchFactory()
    )
    assert len(mentor_slots(w.mentor, **week(third))) == 2


def test_slots_leave_out_the_past_and_the_minimum_lead(w, settings):
    settings.MENTORING_MIN_LEAD_HOURS = 2
    now = kolkata(MONDAY_1, 15, 30)  # the 17:00 slot is 1.5 h away
    slots = mentor_slots(w.mentor, start=kolkata(MONDAY_1, 0), end=kolkata(MONDAY_1, 23), now=now)
    assert starts(slots) == [kolkata(MONDAY_1, 18)]


def test_slots_keep_the_wall_clock_across_a_dst_change():
    """A Berlin mentor's Monday 18:00 window is 17:00 UTC in winter and 16:00 UTC in summer."""
    w = build_mentoring(windows=((0, (18, 0), (19, 0)),))
    w.mentor.time_zone = "Europe/Berlin"
    w.mentor.save(update_fields=["time_zone"])
    slots = mentor_slots(
        w.mentor,
        start=dt.datetime(2027, 3, 21, tzinfo=dt.UTC),
        end=dt.datetime(2027, 4, 1, tzinfo=dt.UTC),
        now=NOW,
    )
    assert starts(slots) == [
        dt.datetime(2027, 3, 22, 17, 0, tzinfo=dt.UTC),
        dt.datetime(2027, 3, 29, 16, 0, tzinfo=dt.UTC),
    ]


def test_a_wall_time_skipped_by_the_clock_change_is_no_slot():
    """Berlin skips 02:00–03:00 on Sunday 28 March 2027."""
    w = build_mentoring(windows=((6, (1, 0), (4, 0)),))
    w.mentor.time_zone = "Europe/Berlin"
    w.mentor.save(update_fields=["time_zone"])
    slots = mentor_slots(
        w.mentor,
        start=dt.datetime(2027, 3, 27, tzinfo=dt.UTC),
        end=dt.datetime(2027, 3, 29, tzinfo=dt.UTC),
        now=NOW,
    )
    # 01:00 CET (00:00 UTC) and 03:00 CEST (01:00 UTC); 02:00 does not exist.
    assert starts(slots) == [
        dt.datetime(2027, 3, 28, 0, 0, tzinfo=dt.UTC),
        dt.datetime(2027, 3, 28, 1, 0, tzinfo=dt.UTC),
    ]


def test_slots_take_a_constant_number_of_queries(w, django_assert_max_num_queries):
    # Windows (six days), teaching, bookings and leave: the count does not grow with them.
    span = {"start": kolkata(MONDAY_1, 0), "end": kolkata(MONDAY_1, 0) + dt.timedelta(weeks=4)}
    with django_assert_max_num_queries(6):
        few = mentor_slots(w.mentor, now=NOW, **span)
    for day in range(1, 6):
        w.mentor.availability.create(day=day, start_time=dt.time(9), end_time=dt.time(17))
    for n in range(5):
        TrainerLeave.objects.create(
            trainer=w.mentor,
            start_date=MONDAY_1 + dt.timedelta(days=7 * n + 2),
            end_date=MONDAY_1 + dt.timedelta(days=7 * n + 2),
        )
    mentor_booking_create(
        mentee=w.other, start_at=kolkata(MONDAY_1, 17), booked_by=w.other, now=NOW
    )
    with django_assert_max_num_queries(6):
        many = mentor_slots(w.mentor, now=NOW, **span)
    assert len(many) > len(few)


# --- booking ------------------------------------------------------------------------------


def test_mentee_books_a_free_slot_and_the_mentor_hears(w):
    booking = mentor_booking_create(
        mentee=w.mentee, start_at=kolkata(MONDAY_1, 17), booked_by=w.mentee, now=NOW
    )
    assert booking.mentor == w.mentor and booking.assignment == w.assignment
    assert booking.end_at - booking.start_at == dt.timedelta(minutes=60)
    assert booking.status == MentorBookingStatus.BOOKED
    note = Notification.objects.get(event="mentor_booking_created")
    assert note.recipient == w.mentor


def test_booking_refuses_a_time_that_is_not_a_slot(w):
    with pytest.raises(DomainError, match="not one of Meera Mentor's free slots"):
        mentor_booking_create(
            mentee=w.mentee, start_at=kolkata(MONDAY_1, 17, 10), booked_by=w.mentee, now=NOW
        )


def test_booking_refuses_a_taken_slot(w):
    mentor_booking_create(
        mentee=w.other, start_at=kolkata(MONDAY_1, 17), booked_by=w.other, now=NOW
    )
    with pytest.raises(DomainError, match=MSG_SLOT_TAKEN):
        mentor_booking_create(
            mentee=w.mentee, start_at=kolkata(MONDAY_1, 17), booked_by=w.mentee, now=NOW
        )


def test_booking_refuses_strangers_and_students_without_a_mentor(w):
    with pytest.raises(DomainError, match="Only the mentee, their mentor or an admin"):
        mentor_booking_create(
            mentee=w.mentee, start_at=kolkata(MONDAY_1, 17), booked_by=w.other, now=NOW
        )
    with pytest.raises(DomainError, match="has no mentor"):
        mentor_booking_create(
            mentee=w.outsider, start_at=kolkata(MONDAY_1, 17), booked_by=w.outsider, now=NOW
        )
    # An admin books for the mentee; both sides hear.
    booking = mentor_booking_create(
        mentee=w.mentee, start_at=kolkata(MONDAY_1, 17), booked_by=w.admin, now=NOW
    )
    assert set(
        Notification.objects.filter(event="mentor_booking_created").values_list(
            "recipient", flat=True
        )
    ) == {w.mentor.pk, w.mentee.pk}
    assert booking.created_by == w.admin


def test_the_database_refuses_the_same_mentor_start_twice(w):
    booking = mentor_booking_create(
        mentee=w.mentee, start_at=kolkata(MONDAY_1, 17), booked_by=w.mentee, now=NOW
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        MentorBooking.objects.create(
            assignment=w.other_assignment,
            mentor=w.mentor,
            mentee=w.other,
            start_at=booking.start_at,
            end_at=booking.end_at,
        )


# --- cancel and move ------------------------------------------------------------------------


@pytest.fixture
def booked(w):
    return mentor_booking_create(
        mentee=w.mentee, start_at=kolkata(MONDAY_1, 17), booked_by=w.mentee, now=NOW
    )


def test_either_side_cancels_within_the_notice_window(w, booked, settings):
    settings.MENTORING_NOTICE_HOURS = 24
    day_before = booked.start_at - dt.timedelta(hours=25)
    cancelled = mentor_booking_cancel(
        booking=booked, cancelled_by=w.mentor, reason="Ill", now=day_before
    )
    assert cancelled.status == MentorBookingStatus.CANCELLED
    assert cancelled.cancelled_by == w.mentor and cancelled.reason == "Ill"
    note = Notification.objects.get(event="mentor_booking_cancelled")
    assert note.recipient == w.mentee
    with pytest.raises(DomainError, match="cancelled and cannot be cancelled"):
        mentor_booking_cancel(booking=booked, cancelled_by=w.mentor, now=day_before)


def test_cancel_refused_inside_the_notice_window_except_for_an_admin(w, booked, settings):
    settings.MENTORING_NOTICE_HOURS = 24
    late = booked.start_at - dt.timedelta(hours=23)
    with pytest.raises(DomainError, match="until 24 hours before it starts; ask an admin"):
        mentor_booking_cancel(booking=booked, cancelled_by=w.mentee, now=late)
    with pytest.raises(DomainError, match="Only the mentor, the mentee or an admin"):
        mentor_booking_cancel(booking=booked, cancelled_by=w.other, now=NOW)
    mentor_booking_cancel(booking=booked, cancelled_by=w.admin, now=late)
    booked.refresh_from_db()
    assert booked.status == MentorBookingStatus.CANCELLED


def test_move_within_the_notice_window(w, booked):
    moved = mentor_booking_move(
        booking=booked, start_at=kolkata(MONDAY_2, 18), moved_by=w.mentee, now=NOW
    )
    assert moved.start_at == kolkata(MONDAY_2, 18)
    assert moved.end_at == kolkata(MONDAY_2, 19)
    assert Notification.objects.get(event="mentor_booking_moved").recipient == w.mentor
    # The old slot is free again, the new one taken.
    assert kolkata(MONDAY_1, 17) in starts(mentor_slots(w.mentor, **week(MONDAY_1)))
    assert kolkata(MONDAY_2, 18) not in starts(mentor_slots(w.mentor, **week(MONDAY_2)))


def test_move_to_an_overlapping_slot_of_its_own(w, booked):
    """Moving 17:00 to 17:30 (30-minute slots) overlaps the booking itself: allowed."""
    TrainerProfile.objects.filter(user=w.mentor).update(mentoring_slot_minutes=30)
    moved = mentor_booking_move(
        booking=booked, start_at=kolkata(MONDAY_1, 17, 30), moved_by=w.mentor, now=NOW
    )
    assert moved.end_at == kolkata(MONDAY_1, 18)


def test_move_refused_late_to_a_taken_slot_or_a_non_slot(w, booked, settings):
    settings.MENTORING_NOTICE_HOURS = 24
    mentor_booking_create(
        mentee=w.other, start_at=kolkata(MONDAY_1, 18), booked_by=w.other, now=NOW
    )
    with pytest.raises(DomainError, match=MSG_SLOT_TAKEN):
        mentor_booking_move(
            booking=booked, start_at=kolkata(MONDAY_1, 18), moved_by=w.mentee, now=NOW
        )
    with pytest.raises(DomainError, match="free slots"):
        mentor_booking_move(
            booking=booked, start_at=kolkata(MONDAY_1, 20), moved_by=w.mentee, now=NOW
        )
    late = booked.start_at - dt.timedelta(hours=2)
    with pytest.raises(DomainError, match="can be moved until 24 hours"):
        mentor_booking_move(
            booking=booked, start_at=kolkata(MONDAY_2, 17), moved_by=w.mentor, now=late
        )
    moved = mentor_booking_move(
        booking=booked, start_at=kolkata(MONDAY_2, 17), moved_by=w.admin, now=late
    )
    assert moved.start_at == kolkata(MONDAY_2, 17)


# --- reminders -----------------------------------------------------------------------------


def test_reminder_goes_out_once_and_again_after_a_move(w, booked, settings):
    settings.MENTORING_REMINDER_HOURS = 24
    early = booked.start_at - dt.timedelta(hours=30)
    assert mentoring_reminders_send(now=early) == 0
    due = booked.start_at - dt.timedelta(hours=20)
    assert mentoring_reminders_send(now=due) == 1
    assert mentoring_reminders_send(now=due + dt.timedelta(minutes=10)) == 0
    reminders = Notification.objects.filter(event="mentor_booking_reminder")
    assert sorted(reminders.values_list("recipient", flat=True)) == sorted(
        [w.mentor.pk, w.mentee.pk]
    )
    # Moved (by an admin, inside the notice window): the new time gets its reminder.
    moved = mentor_booking_move(
        booking=booked, start_at=kolkata(MONDAY_1, 18), moved_by=w.admin, now=due
    )
    assert mentoring_reminders_send(now=moved.start_at - dt.timedelta(hours=1)) == 1
    assert reminders.count() == 4


def test_no_reminder_for_a_cancelled_booking(w, booked):
    mentor_booking_cancel(booking=booked, cancelled_by=w.mentee, now=NOW)
    assert mentoring_reminders_send(now=booked.start_at - dt.timedelta(hours=1)) == 0


# --- logging the session --------------------------------------------------------------------


def _past_booking(w, **fields):
    start = dt.datetime(2026, 2, 2, 11, 30, tzinfo=dt.UTC)
    return MentorBooking.objects.create(
        assignment=w.assignment,
        mentor=w.mentor,
        mentee=w.mentee,
        start_at=start,
        end_at=start + dt.timedelta(hours=1),
        **fields,
    )


def test_logging_the_session_marks_the_booking_held(w):
    booking = _past_booking(w)
    session = mentoring_session_log(
        assignment=w.assignment,
        logged_by=w.mentor,
        session_date=dt.date(2026, 2, 2),
        duration_minutes=60,
        booking=booking,
    )
    booking.refresh_from_db()
    assert booking.status == MentorBookingStatus.HELD and booking.session == session
    with pytest.raises(DomainError, match="held; only a booked session"):
        mentoring_session_log(
            assignment=w.assignment,
            logged_by=w.mentor,
            session_date=dt.date(2026, 2, 2),
            duration_minutes=60,
            booking=booking,
        )


def test_logging_refuses_another_assignments_or_a_future_booking(w, booked):
    other = MentorBooking.objects.create(
        assignment=w.other_assignment,
        mentor=w.mentor,
        mentee=w.other,
        start_at=dt.datetime(2026, 2, 2, 11, 30, tzinfo=dt.UTC),
        end_at=dt.datetime(2026, 2, 2, 12, 30, tzinfo=dt.UTC),
    )
    for booking, message in ((other, "not one of this assignment's"), (booked, "not started")):
        with pytest.raises(DomainError, match=message):
            mentoring_session_log(
                assignment=w.assignment,
                logged_by=w.mentor,
                session_date=dt.date(2026, 2, 2),
                duration_minutes=60,
                booking=booking,
            )
    assert not w.assignment.sessions.exists()


def test_the_notifications_render_in_each_recipients_zone(w, booked):
    from notifications.outbox import render

    mentor_booking_move(booking=booked, start_at=kolkata(MONDAY_2, 17), moved_by=w.mentee, now=NOW)
    mentor_booking_cancel(booking=booked, cancelled_by=w.admin, reason="Clash", now=NOW)
    mentoring_reminders_send(now=booked.start_at - dt.timedelta(hours=1))
    notes = Notification.objects.select_related("recipient").order_by("pk")
    assert {n.event for n in notes} == {
        "mentor_booking_created",
        "mentor_booking_moved",
        "mentor_booking_cancelled",
    }
    for note in notes:
        render(note)
        assert note.subject and note.body and note.body_html
    to_mentor = notes.get(event="mentor_booking_moved")
    # 17:00 Kolkata on 29 March, to the mentor on their own clock.
    assert "17:00 IST" in to_mentor.body, to_mentor.body
    to_mentee = notes.get(event="mentor_booking_cancelled", recipient=w.mentee)
    assert "13:30 CEST" in to_mentee.body and "Clash" in to_mentee.body, to_mentee.body


def test_the_mentoring_report_counts_booked_against_held(w, booked):
    from allocation.selectors import mentoring_report

    held = _past_booking(w)
    mentoring_session_log(
        assignment=w.assignment,
        logged_by=w.mentor,
        session_date=dt.date(2026, 2, 2),
        duration_minutes=60,
        booking=held,
    )
    cancelled = _past_booking(w, status=MentorBookingStatus.CANCELLED, cancelled_at=NOW)
    assert cancelled.pk
    rows = {r.assignment.pk: r for r in mentoring_report(w.mentor)}
    assert (rows[w.assignment.pk].booked, rows[w.assignment.pk].held) == (2, 1)
    assert rows[w.assignment.pk].sessions == 1  # the bookings do not multiply the sessions
    assert (rows[w.other_assignment.pk].booked, rows[w.other_assignment.pk].held) == (0, 0)


def test_the_log_page_offers_the_booking_and_marks_it_held(w, client):
    booking = _past_booking(w)
    client.force_login(w.mentor)
    url = f"/instructor/mentees/{w.assignment.pk}/log/"
    page = client.get(url)
    assert page.status_code == 200
    assert f'value="{booking.pk}"' in page.content.decode()
    response = client.post(
        url,
        {"session_date": "2026-02-02", "duration_minutes": 60, "booking": booking.pk},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    booking.refresh_from_db()
    assert booking.status == MentorBookingStatus.HELD
    mentees = client.get("/instructor/mentees/").content.decode()
    assert "1 / 1" in mentees


# --- calendar feeds --------------------------------------------------------------------------


def test_both_feeds_carry_the_booking_in_the_owners_zone(w, client, monkeypatch):
    import icalendar
    from django.urls import reverse
    from django.utils import timezone as django_timezone

    monkeypatch.setattr(django_timezone, "now", lambda: NOW)
    booking = mentor_booking_create(
        mentee=w.mentee, start_at=kolkata(MONDAY_2, 17), booked_by=w.mentee, now=NOW
    )
    cancelled = mentor_booking_create(
        mentee=w.mentee, start_at=kolkata(MONDAY_1, 18), booked_by=w.mentee, now=NOW
    )
    mentor_booking_cancel(booking=cancelled, cancelled_by=w.mentor, now=NOW)

    def events(url):
        response = client.get(url)
        assert response.status_code == 200
        calendar = icalendar.Calendar.from_ical(response.content)
        return {str(e["uid"]): e for e in calendar.walk("VEVENT")}

    mentee = events(reverse("feeds:student", args=[w.mentee.feed_token]))
    event = mentee[f"booking-{booking.pk}-mentee@medh"]
    assert event.decoded("dtstart") == booking.start_at
    assert event["dtstart"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("dtstart").strftime("%H:%M") == "13:30"  # CEST
    assert str(event["status"]) == "CONFIRMED"
    assert "Meera Mentor" in str(event["summary"])
    gone = mentee[f"booking-{cancelled.pk}-mentee@medh"]
    assert str(gone["status"]) == "CANCELLED"

    mentor = events(reverse("feeds:instructor", args=[w.mentor.feed_token]))
    event = mentor[f"booking-{booking.pk}-mentor@medh"]
    assert event["dtstart"].params["TZID"] == "Asia/Kolkata"
    assert event.decoded("dtstart").strftime("%H:%M") == "17:00"
    assert "Bea Berlin" in str(event["summary"])
    assert len([uid for uid in mentor if uid.startswith("booking-")]) == 2


# --- pages -----------------------------------------------------------------------------------


@pytest.fixture
def page_clock(monkeypatch):
    # Five days on: the pages' two weeks hold both Mondays, either side of Berlin's DST change.
    monkeypatch.setattr("allocation.views.mentor_bookings._now", lambda: NOW + dt.timedelta(days=5))


def test_the_mentee_sees_free_slots_on_their_clock_and_books_with_a_tap(w, client, page_clock):
    client.force_login(w.mentee)
    page = client.get("/mentoring/").content.decode()
    assert "Europe/Berlin" in page
    assert "12:30 CET" in page and "13:30 CEST" in page  # 17:00 Kolkata, either side of DST
    response = client.post("/mentoring/book/", {"start": kolkata(MONDAY_2, 17).isoformat()})
    assert response.status_code == 302
    booking = MentorBooking.objects.get(mentee=w.mentee)
    assert booking.start_at == kolkata(MONDAY_2, 17)
    page = client.get("/mentoring/").content.decode()
    assert "13:30–14:30 CEST" in page
    # A bad or taken time is a message, not an error page.
    for start in ("not a time", kolkata(MONDAY_2, 17).isoformat()):
        client.force_login(w.other)
        response = client.post("/mentoring/book/", {"start": start}, follow=True)
        assert response.status_code == 200
        assert MentorBooking.objects.filter(mentee=w.other).count() == 0


def test_the_mentor_moves_and_the_mentee_cancels_on_the_pages(w, client, page_clock):
    booking = mentor_booking_create(
        mentee=w.mentee, start_at=kolkata(MONDAY_1, 17), booked_by=w.mentee, now=NOW
    )
    client.force_login(w.mentor)
    page = client.get("/mentoring/").content.decode()
    assert "17:00–18:00 IST" in page and "Bea Berlin" in page
    move_page = client.get(f"/mentoring/{booking.pk}/move/")
    assert move_page.status_code == 200
    response = client.post(
        f"/mentoring/{booking.pk}/move/", {"start": kolkata(MONDAY_2, 18).isoformat()}
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.start_at == kolkata(MONDAY_2, 18)
    # Someone else's booking is a 404.
    client.force_login(w.other)
    assert client.post(f"/mentoring/{booking.pk}/cancel/").status_code == 404
    client.force_login(w.mentee)
    assert client.post(f"/mentoring/{booking.pk}/cancel/", {"reason": "Ill"}).status_code == 302
    booking.refresh_from_db()
    assert booking.status == MentorBookingStatus.CANCELLED


def test_this_week_and_the_schedule_show_the_booking_in_each_ones_zone(w, client):
    mentor_booking_create(
        mentee=w.mentee, start_at=kolkata(MONDAY_2, 17), booked_by=w.mentee, now=NOW
    )
    client.force_login(w.mentor)
    week = client.get("/instructor/week/", {"date": MONDAY_2.isoformat()}).content.decode()
    assert "17:00–18:00 IST" in week and "Mentoring Bea Berlin" in week
    client.force_login(w.mentee)
    schedule = client.get("/me/schedule/").content.decode()
    assert "13:30–14:30 CEST" in schedule and "Meera Mentor" in schedule


def test_the_bookings_page_runs_a_fixed_number_of_queries(
    w, client, page_clock, django_assert_max_num_queries
):
    client.force_login(w.mentee)
    with django_assert_max_num_queries(16) as few:
        client.get("/mentoring/")
    for n in range(3):
        mentor_booking_create(
            mentee=w.mentee,
            start_at=kolkata(MONDAY_1 + dt.timedelta(weeks=n), 17),
            booked_by=w.mentee,
            now=NOW,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/mentoring/")


def test_the_reminder_command_reminds_once(w, settings):
    import io

    from django.core.management import call_command
    from django.utils import timezone as django_timezone

    settings.MENTORING_REMINDER_HOURS = 24 * 400  # every future booking is due
    start = django_timezone.now() + dt.timedelta(days=3)
    MentorBooking.objects.create(
        assignment=w.assignment,
        mentor=w.mentor,
        mentee=w.mentee,
        start_at=start,
        end_at=start + dt.timedelta(hours=1),
    )
    out = io.StringIO()
    call_command("send_mentoring_reminders", stdout=out)
    call_command("send_mentoring_reminders", stdout=out)
    assert out.getvalue().splitlines() == [
        "1 1:1 session reminder(s) written.",
        "0 1:1 session reminder(s) written.",
    ]
    assert Notification.objects.filter(event="mentor_booking_reminder").count() == 2


def test_a_booking_of_an_ended_assignment_can_be_cancelled_not_moved(w, booked):
    from allocation.services import individual_unassign

    individual_unassign(student=w.mentee, ended_by=w.admin, reason="Finished")
    with pytest.raises(DomainError, match="assignment has ended"):
        mentor_booking_move(
            booking=booked, start_at=kolkata(MONDAY_2, 17), moved_by=w.mentee, now=NOW
        )
    mentor_booking_cancel(booking=booked, cancelled_by=w.mentee, now=NOW)
