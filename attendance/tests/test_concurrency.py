"""Two trainers save the same roll at once, on PostgreSQL with real threads: the session row
lock runs them one after the other; each mark is one of the two sent (never lost), with one
audit-trail row per change, and no constraint error."""

from __future__ import annotations

import datetime as dt

import pytest

from attendance.models import AttendanceMark
from attendance.services import MarkInput, attendance_record
from core.testing import race

from .world import build_world

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_trainers_saving_the_same_roll_end_with_one_consistent_roll():
    w = build_world(students=6)
    now = w.session.start_at + dt.timedelta(hours=1)
    half = len(w.students) // 2
    primary_marks = [MarkInput(s.pk, "present") for s in w.students]
    # The assistant marks the second half absent, with a note, and leaves the first half out.
    assistant_marks = [MarkInput(s.pk, "absent", "not seen") for s in w.students[half:]]
    outcomes = race(
        attendance_record,
        [
            {"session": w.session, "marks": primary_marks, "marked_by": w.primary, "now": now},
            {"session": w.session, "marks": assistant_marks, "marked_by": w.assistant, "now": now},
        ],
    )
    assert [o.message for o in outcomes if not o.ok] == []
    marks = {m.student_id: m for m in AttendanceMark.objects.all()}
    assert len(marks) == len(w.students)  # one mark per student: no duplicate, none lost
    for s in w.students[:half]:
        assert marks[s.pk].status == "present"
    second = {marks[s.pk].status for s in w.students[half:]}
    # Whichever saved last wins the second half, and wins it whole.
    assert second in ({"present"}, {"absent"})
    last = w.primary if second == {"present"} else w.assistant
    assert {marks[s.pk].marked_by_id for s in w.students[half:]} == {last.pk}
    # Every write is in the audit trail: 6 created, and the 3 the later save changed.
    assert AttendanceMark.history.filter(history_type="+").count() == len(w.students)
    assert AttendanceMark.history.filter(history_type="~").count() == len(w.students) - half


def test_two_trainers_saving_the_same_roll_leave_tallies_that_are_a_recount():
    """Both saves move the batch's tallies under the session lock: whoever wins, the tallies
    equal a recount of the marks (no lost F() update, no duplicate tally row)."""
    from attendance import tallies
    from attendance.models import AttendanceTally

    w = build_world(students=6)
    now = w.session.start_at + dt.timedelta(hours=1)
    attendance_record(
        session=w.session,
        marks=[MarkInput(s.pk, "absent") for s in w.students],
        marked_by=w.primary,
        now=now,
    )
    outcomes = race(
        attendance_record,
        [
            {
                "session": w.session,
                "marks": [MarkInput(s.pk, "present") for s in w.students],
                "marked_by": w.primary,
                "now": now,
            },
            {
                "session": w.session,
                "marks": [MarkInput(s.pk, "late") for s in w.students[:3]],
                "marked_by": w.assistant,
                "now": now,
            },
        ],
    )
    assert [o.message for o in outcomes if not o.ok] == []
    assert tallies.tallied(AttendanceTally) == tallies.recount(AttendanceMark)
    assert AttendanceTally.objects.count() == 1
    tally = AttendanceTally.objects.get()
    assert tally.present + tally.late == len(w.students) and tally.absent == 0


def test_two_sessions_of_one_batch_and_week_saved_at_once_share_one_tally():
    """Two sessions lock two rows, so their saves run together on the same tally row: the
    missing row is created once (a conflict is ignored) and both F() updates count."""
    from attendance import tallies
    from attendance.models import AttendanceTally

    from .world import WEEK_1, session_on

    w = build_world(students=5)
    other = session_on(w, WEEK_1 + dt.timedelta(days=2))
    outcomes = race(
        attendance_record,
        [
            {
                "session": session,
                "marks": [MarkInput(s.pk, "absent") for s in w.students],
                "marked_by": w.primary,
                "now": other.start_at + dt.timedelta(hours=1),
            }
            for session in (w.session, other)
        ],
    )
    assert [o.message for o in outcomes if not o.ok] == []
    assert tallies.tallied(AttendanceTally) == tallies.recount(AttendanceMark)
    assert AttendanceTally.objects.get().absent == 2 * len(w.students)
