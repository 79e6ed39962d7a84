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
