"""attendance_record: who may mark, when, whom; all or nothing; audit trail; the lock against
regeneration; the at-risk episodes and their one notification."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from allocation.models import ClassSession, IndividualAssignment, SessionStatus
from attendance.models import AtRiskEpisode, AttendanceMark
from attendance.selectors import (
    batch_attendance_rates,
    session_roll,
    student_attendance_rates,
    trainer_attendance_rates,
)
from attendance.services import MarkInput, attendance_record
from core.errors import DomainError
from enrollments.models import EnrollmentStatus
from notifications.models import Notification

from .world import WEEK_1, berlin, build_world, cover, session_on

pytestmark = pytest.mark.django_db

AFTER = berlin(WEEK_1, 19)  # during the session


def everyone(w, status="present"):
    return [MarkInput(s.pk, status) for s in w.students]


def test_the_teacher_marks_the_roll_and_every_change_is_audited():
    w = build_world()
    result = attendance_record(session=w.session, marks=everyone(w), marked_by=w.primary, now=AFTER)
    assert (result.created, result.changed) == (4, 0)
    assert AttendanceMark.objects.filter(session=w.session, status="present").count() == 4
    mark = AttendanceMark.objects.get(session=w.session, student=w.students[0])
    assert (mark.trainer, mark.marked_by, mark.batch) == (w.primary, w.primary, w.batch)
    attendance_record(
        session=w.session,
        marks=[MarkInput(w.students[0].pk, "late", "bus")],
        marked_by=w.assistant,
        now=AFTER,
    )
    history = list(mark.history.order_by("history_id"))
    assert [(h.history_type, h.status, h.history_user) for h in history] == [
        ("+", "present", w.primary),
        ("~", "late", w.assistant),
    ]
    w.session.refresh_from_db()
    assert w.session.locked  # regeneration keeps it


def test_the_same_roll_again_changes_nothing():
    w = build_world()
    attendance_record(session=w.session, marks=everyone(w), marked_by=w.primary, now=AFTER)
    again = attendance_record(session=w.session, marks=everyone(w), marked_by=w.primary, now=AFTER)
    assert (again.created, again.changed, again.unchanged) == (0, 0, 4)
    assert AttendanceMark.history.count() == 4


@pytest.mark.parametrize(
    "who, message",
    [
        ("outsider", "Only the trainer who teaches this session"),
        ("students", "Only the trainer who teaches this session"),
    ],
)
def test_someone_who_does_not_teach_it_is_refused(who, message):
    w = build_world()
    user = getattr(w, who)
    user = user[0] if isinstance(user, list) else user
    with pytest.raises(DomainError, match=message) as caught:
        attendance_record(session=w.session, marks=everyone(w), marked_by=user, now=AFTER)
    assert caught.value.code == "forbidden"
    assert not AttendanceMark.objects.exists()


def test_a_cancelled_session_is_refused_even_to_an_admin():
    w = build_world()
    ClassSession.objects.filter(pk=w.session.pk).update(
        status=SessionStatus.CANCELLED, reason="ill"
    )
    with pytest.raises(DomainError, match="cancelled"):
        attendance_record(session=w.session, marks=everyone(w), marked_by=w.admin, now=AFTER)


def test_a_future_session_is_refused_even_to_an_admin():
    w = build_world()
    before = berlin(WEEK_1, 17, 59)
    with pytest.raises(DomainError, match="not started yet"):
        attendance_record(session=w.session, marks=everyone(w), marked_by=w.admin, now=before)


@override_settings(ATTENDANCE_WINDOW_DAYS=7)
def test_the_window_closes_for_the_teacher_but_not_for_an_admin():
    w = build_world()
    start = w.session.start_at
    last = start + dt.timedelta(days=7)
    attendance_record(session=w.session, marks=everyone(w), marked_by=w.primary, now=last)
    with pytest.raises(DomainError, match="closed 7 days after") as caught:
        attendance_record(
            session=w.session,
            marks=everyone(w, "absent"),
            marked_by=w.primary,
            now=last + dt.timedelta(seconds=1),
        )
    assert caught.value.code == "closed"
    attendance_record(
        session=w.session,
        marks=everyone(w, "excused"),
        marked_by=w.admin,
        now=start + dt.timedelta(days=90),
    )
    assert set(AttendanceMark.objects.values_list("status", flat=True)) == {"excused"}


@override_settings(ATTENDANCE_WINDOW_DAYS=2)
def test_the_window_is_a_setting():
    w = build_world()
    with pytest.raises(DomainError, match="closed 2 days after"):
        attendance_record(
            session=w.session,
            marks=everyone(w),
            marked_by=w.primary,
            now=w.session.start_at + dt.timedelta(days=2, minutes=1),
        )


def test_the_cover_marks_and_the_absent_trainer_is_refused():
    w = build_world()
    cover(w, w.session)
    with pytest.raises(DomainError, match="Only the trainer who teaches"):
        attendance_record(session=w.session, marks=everyone(w), marked_by=w.primary, now=AFTER)
    attendance_record(session=w.session, marks=everyone(w), marked_by=w.substitute, now=AFTER)
    assert set(AttendanceMark.objects.values_list("trainer", flat=True)) == {w.substitute.pk}
    assert trainer_attendance_rates([w.primary.pk, w.substitute.pk])[w.substitute.pk].rate == 1
    assert w.primary.pk not in trainer_attendance_rates([w.primary.pk, w.substitute.pk])


def test_a_student_not_on_the_roll_is_refused_and_nothing_is_written():
    w = build_world()
    stranger = build_world.__globals__["InstructorFactory"]()
    marks = [*everyone(w), MarkInput(stranger.pk, "present")]
    with pytest.raises(DomainError, match="not on this session's roll"):
        attendance_record(session=w.session, marks=marks, marked_by=w.primary, now=AFTER)
    assert not AttendanceMark.objects.exists()


@pytest.mark.parametrize(
    "marks, message",
    [
        (lambda w: [MarkInput(w.students[0].pk, "sleeping")], "Unknown attendance status"),
        (
            lambda w: [MarkInput(w.students[0].pk, "present")] * 2,
            "marked twice",
        ),
        (lambda w: [MarkInput(w.students[0].pk, "present", "x" * 301)], "at most 300"),
    ],
)
def test_bad_lines_are_refused_whole(marks, message):
    w = build_world()
    with pytest.raises(DomainError, match=message):
        attendance_record(
            session=w.session, marks=[*everyone(w)[1:], *marks(w)], marked_by=w.primary, now=AFTER
        )
    assert not AttendanceMark.objects.exists()


def test_the_roll_is_who_was_enrolled_at_the_session():
    w = build_world()
    joined_later, left_earlier, left_after, stays = w.enrollments
    joined_later.enrollment_date = w.session.start_at + dt.timedelta(minutes=1)
    joined_later.save(update_fields=["enrollment_date"])
    left_earlier.status = EnrollmentStatus.CANCELLED
    left_earlier.status_changed_at = w.session.start_at - dt.timedelta(days=1)
    left_earlier.save(update_fields=["status", "status_changed_at"])
    left_after.status = EnrollmentStatus.CANCELLED
    left_after.status_changed_at = w.session.start_at + dt.timedelta(days=1)
    left_after.save(update_fields=["status", "status_changed_at"])
    assert {e.student_id for e in session_roll(w.session)} == {
        left_after.student_id,
        stays.student_id,
    }
    for enrollment in (joined_later, left_earlier):
        with pytest.raises(DomainError, match="not on this session's roll"):
            attendance_record(
                session=w.session,
                marks=[MarkInput(enrollment.student_id, "present")],
                marked_by=w.primary,
                now=AFTER,
            )
    attendance_record(
        session=w.session,
        marks=[MarkInput(left_after.student_id, "present"), MarkInput(stays.student_id, "late")],
        marked_by=w.primary,
        now=AFTER,
    )
    # The one who joined later is on the next week's roll.
    later = session_on(w, WEEK_1 + dt.timedelta(days=7))
    assert joined_later.student_id in {e.student_id for e in session_roll(later)}


def test_rates_leave_out_excused_and_cancelled_sessions():
    w = build_world(students=1)
    student = w.students[0]
    statuses = ["present", "late", "absent", "excused"]
    for i, status in enumerate(statuses):
        s = w.session if i == 0 else session_on(w, WEEK_1 + dt.timedelta(days=7 * i))
        attendance_record(
            session=s,
            marks=[MarkInput(student.pk, status)],
            marked_by=w.admin,
            now=s.start_at + dt.timedelta(hours=1),
        )
    rate = batch_attendance_rates([w.batch.pk])[w.batch.pk]
    assert (rate.attended, rate.counted, rate.excused) == (2, 3, 1)
    assert rate.percent == 67
    # The absent session is cancelled afterwards: it stops counting.
    absent = AttendanceMark.objects.get(status="absent").session
    ClassSession.objects.filter(pk=absent.pk).update(status="cancelled", reason="x")
    assert student_attendance_rates(student)[w.batch.pk].rate == 1


@override_settings(AT_RISK_LAST_N=6, AT_RISK_RATE=0.7, AT_RISK_ABSENCES_IN_A_ROW=3)
def test_at_risk_one_notification_per_episode_and_a_new_one_after_relapse():
    w = build_world(students=1)
    student = w.students[0]
    mentor = w.outsider
    IndividualAssignment.objects.create(student=student, instructor=mentor, assigned_by=w.admin)
    sessions = [w.session] + [
        session_on(w, WEEK_1 + dt.timedelta(days=7 * i)) for i in range(1, 11)
    ]

    def mark(i, status):
        s = sessions[i]
        return attendance_record(
            session=s,
            marks=[MarkInput(student.pk, status)],
            marked_by=w.primary,
            now=s.start_at + dt.timedelta(hours=1),
        )

    def notes():
        return Notification.objects.filter(event="attendance_at_risk", recipient=mentor).count()

    assert not mark(0, "absent").opened
    assert not mark(1, "absent").opened
    opened = mark(2, "absent").opened  # three in a row
    assert len(opened) == 1 and "3 absences in a row" in opened[0].reason
    assert notes() == 1
    assert not mark(3, "absent").opened  # same episode: no second notification
    # Recovery: over the last 6 (or fewer) the rate climbs back to 70%.
    for i in range(4, 8):
        mark(i, "present")
    assert AtRiskEpisode.objects.get().closed_at is None  # last 6: 4 of 6 = 67%
    mark(8, "present")  # 5 of 6 = 83%
    assert AtRiskEpisode.objects.get().closed_at is not None
    assert notes() == 1
    # Relapse: two absences make 4 of 6 again: a new episode, a new notification.
    assert not mark(9, "absent").opened
    assert mark(10, "absent").opened
    assert AtRiskEpisode.objects.count() == 2
    assert notes() == 2


@override_settings(AT_RISK_LAST_N=4, AT_RISK_RATE=0.5, AT_RISK_ABSENCES_IN_A_ROW=2)
def test_without_a_mentor_the_primary_hears_and_relapse_opens_a_new_episode():
    w = build_world(students=1)
    student = w.students[0]
    sessions = [w.session] + [session_on(w, WEEK_1 + dt.timedelta(days=7 * i)) for i in range(1, 8)]

    def mark(i, status):
        s = sessions[i]
        attendance_record(
            session=s,
            marks=[MarkInput(student.pk, status)],
            marked_by=w.primary,
            now=s.start_at + dt.timedelta(hours=1),
        )

    for i, status in enumerate(["absent", "absent", "present", "present", "present"]):
        mark(i, status)
    # Opened at the 2nd absence; after three presents the last 4 are 75% and no 2 in a row.
    episodes = list(AtRiskEpisode.objects.order_by("pk"))
    assert len(episodes) == 1 and episodes[0].closed_at is not None
    assert episodes[0].notified == w.primary
    mark(5, "absent")
    mark(6, "absent")
    assert AtRiskEpisode.objects.filter(closed_at__isnull=True).count() == 1
    assert Notification.objects.filter(event="attendance_at_risk", recipient=w.primary).count() == 2
