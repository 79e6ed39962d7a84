"""The management commands: seed_demo (the demo data set) and reconcile_enrollments.

The seed_demo tests are the heavy ones of this file: each seeds the full 800-student data set
once through the services (a few seconds on SQLite), so the checks share one test per seeding
rather than one seeding per check.
"""

import io
import itertools
from collections import Counter, defaultdict

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Count, F, Q
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import StudentFactory
from allocation.models import (
    Batch,
    BatchTrainer,
    Course,
    IndividualAssignment,
    MentorBooking,
    MentoringSession,
    ScheduleSlot,
    SubstituteCover,
    slots_overlap,
)
from allocation.selectors import mentor_candidates
from allocation.tests.factories import BatchFactory
from enrollments import demo
from enrollments.models import Enrollment, EnrollmentStatus
from enrollments.services import enrollment_create
from enrollments.tests.factories import EnrollmentFactory
from trainers.models import DEFAULT_MAX_ACTIVE_BATCHES, TrainerProfile

pytestmark = pytest.mark.django_db

ACTIVE = Q(enrollments__status=EnrollmentStatus.ACTIVE)


def run(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "trainer profiles": TrainerProfile.objects.count(),
        "courses": Course.objects.count(),
        "batches": Batch.objects.count(),
        "slots": ScheduleSlot.objects.count(),
        "enrollments": Enrollment.objects.count(),
        "staffing rows": BatchTrainer.objects.count(),
        "individual assignments": IndividualAssignment.objects.count(),
        "mentoring sessions": MentoringSession.objects.count(),
        "mentor bookings": MentorBooking.objects.count(),
    }


def primary_batch_counts(emails) -> dict[str, int]:
    """Running batches (the demo's one completed batch is history) per primary."""
    counts = dict(
        Batch.objects.exclude(status="Completed")
        .filter(assigned_instructor__email__in=emails)
        .values_list("assigned_instructor__email")
        .annotate(n=Count("id"))
    )
    return {email: counts.get(email, 0) for email in emails}


# --- seed_demo --------------------------------------------------------------------------


def test_seed_demo_builds_both_scenarios():
    output = run("seed_demo")

    assert Course.objects.count() == 2
    german = Course.objects.get(code="GER-A1")
    english = Course.objects.get(code="ENG-B2")
    # 12 running German batches and one completed (feedback's demo: "Winter cohort", twelve
    # English students who took German A1 before).
    assert german.batches.count() == 13
    assert english.batches.count() == 25
    assert Batch.objects.count() == 38
    assert Enrollment.objects.count() == 812
    assert Enrollment.objects.filter(status=EnrollmentStatus.COMPLETED).count() == 12
    assert Enrollment.objects.filter(status=EnrollmentStatus.ACTIVE).count() == 800
    assert german.enrollments.filter(status=EnrollmentStatus.ACTIVE).count() == 300
    assert english.enrollments.filter(status=EnrollmentStatus.ACTIVE).count() == 500

    # Users: 800 students with distinct names, 17 instructors with profiles, one admin.
    students = User.objects.filter(is_student=True)
    assert students.count() == 800
    assert len(set(students.values_list("full_name", flat=True))) == 800
    instructors = User.objects.filter(is_instructor=True)
    assert instructors.count() == 4 + 13  # German: 1 lead + 3 assistants; English: 2 + 8 + 3
    assert TrainerProfile.objects.filter(user__in=instructors).count() == 17
    admin = User.objects.get(email=demo.ADMIN_EMAIL)
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password(demo.ADMIN_PASSWORD)
    assert User.objects.get(email="student001@medh.local").check_password(demo.DEMO_PASSWORD)
    assert User.objects.get(email=demo.SARAH.email).check_password(demo.DEMO_PASSWORD)

    # Every batch is exactly full, and its counter matches its active enrollments.
    for batch in (
        Batch.objects.exclude(status="Completed")
        .select_related("course")
        .annotate(
            active=Count("enrollments", filter=ACTIVE, distinct=True),
            slots=Count("schedule", distinct=True),
        )
    ):
        assert batch.enrolled_students == batch.capacity == batch.active, batch.batch_code
        assert batch.capacity == (25 if batch.course_id == german.pk else 20)
        assert 2 <= batch.slots <= 3, batch.batch_code
        assert batch.batch_code.startswith(f"{batch.course.code}-{batch.start_date:%Y-%m}-")
    assert set(german.batches.values_list("status", flat=True)) == {
        "Active",
        "Upcoming",
        "Completed",
    }
    # Feedback: nine of its twelve students answered, three have the request open; some
    # mentoring sessions are rated.
    # (by label: enrollments sits below feedback and does not import it)
    assert apps.get_model("feedback", "BatchFeedback").objects.count() == 9
    assert apps.get_model("feedback", "FeedbackRequest").objects.count() == 12
    assert apps.get_model("feedback", "MentoringRating").objects.exists()
    assert set(english.batches.values_list("status", flat=True)) == {"Active", "Upcoming"}

    # Scenario 1: each German assistant is primary on exactly 4 batches, the lead on none.
    assert primary_batch_counts([demo.JOHN.email, demo.MARIA.email, demo.ALEX.email]) == {
        demo.JOHN.email: 4,
        demo.MARIA.email: 4,
        demo.ALEX.email: 4,
    }
    assert primary_batch_counts([demo.SARAH.email]) == {demo.SARAH.email: 0}
    john = german.batches.filter(assigned_instructor__email=demo.JOHN.email)
    assert sorted(
        int(name.split("Batch ")[1][:2]) for name in john.values_list("batch_name", flat=True)
    ) == [1, 2, 3, 4]

    # Scenario 2: leads teach one batch each, assistants 2-3 (23 in all), substitutes none.
    leads = primary_batch_counts([demo.EMILY.email, demo.ROBERT.email])
    assert leads == {demo.EMILY.email: 1, demo.ROBERT.email: 1}
    assistants = primary_batch_counts([t.email for t in demo.ENGLISH_ASSISTANTS])
    assert sorted(assistants.values()) == [2, 3, 3, 3, 3, 3, 3, 3]
    substitutes = primary_batch_counts([t.email for t in demo.ENGLISH_SUBSTITUTES])
    assert set(substitutes.values()) == {0}

    # Nobody above the cap, and nobody booked twice at the same time.
    per_trainer = Counter(Batch.objects.values_list("assigned_instructor_id", flat=True))
    assert max(per_trainer.values()) <= DEFAULT_MAX_ACTIVE_BATCHES
    slots_by_trainer = defaultdict(list)
    for slot in ScheduleSlot.objects.select_related("batch"):
        slots_by_trainer[slot.batch.assigned_instructor_id].append(slot)
    for slots in slots_by_trainer.values():
        for a, b in itertools.combinations(slots, 2):
            assert not slots_overlap(a, b), f"{a.batch} {a} overlaps {b.batch} {b}"

    # Every batch has its primary as a current staffing row (batch_create writes it).
    assert BatchTrainer.objects.filter(role="primary", ended_at__isnull=True).count() == 38
    assert not Batch.objects.exclude(
        staff__trainer=F("assigned_instructor"), staff__role="primary"
    ).exists()

    # Mentoring: 25 students with an individual instructor, sessions on some, none twice.
    assignments = IndividualAssignment.objects.filter(ended_at__isnull=True)
    assert assignments.count() == 6 + 6 + 4 + 9
    assert assignments.filter(instructor__email=demo.SARAH.email).count() == 6
    assert set(assignments.values_list("assignment_type", flat=True)) == {
        "mentor",
        "tutor",
        "advisor",
    }
    assert MentoringSession.objects.count() == 7 + 5 + 2 + 3
    assert "25 mentor assignment(s) and 17 mentoring session(s)" in output

    # The multi-trainer layout of the design: German A1's lead is backup on all 12 batches
    # and supervises them; each course's active roster shares sum to exactly 100 %.
    sarah = User.objects.get(email=demo.SARAH.email)
    assert (
        BatchTrainer.objects.filter(
            batch__course=german, trainer=sarah, role="backup", ended_at__isnull=True
        ).count()
        == 12
    )
    assert german.batches.filter(supervising_lead=sarah).count() == 12
    for course in (german, english):
        assert sum(course.roster.values_list("workload_percent", flat=True)) == 100
    assert english.roster.filter(role="lead").count() == 2
    assert english.roster.filter(role="substitute").count() == 3
    # John's leave is covered by Sarah on each of his 4 batches; Maria's is not covered.
    assert (
        SubstituteCover.objects.filter(
            absent_trainer__email=demo.JOHN.email, substitute=sarah
        ).count()
        == 4
    )
    assert not SubstituteCover.objects.filter(absent_trainer__email=demo.MARIA.email).exists()

    # Every batch has its dated sessions, its trainers their bookings; the two holidays,
    # added after the batches, cancelled what they hit.
    from allocation.models import ClassSession, Holiday, TrainerBooking

    assert not Batch.objects.filter(sessions__isnull=True).exists()
    assert TrainerBooking.objects.exists()
    assert sorted(Holiday.objects.values_list("name", flat=True)) == [
        "English B2 staff training",
        "Founders' Day",
    ]
    lost = ClassSession.objects.filter(status="cancelled", holiday__isnull=False)
    assert lost.exists()
    assert not TrainerBooking.objects.filter(session__in=lost).exists()

    # A few 1:1 bookings with two mentors who declared weekday hours (the student login has one).
    bookings = MentorBooking.objects.filter(status="booked")
    assert bookings.count() == 5
    assert bookings.filter(mentee__email="student001@medh.local").exists()
    assert all(b.start_at > timezone.now() for b in bookings)

    # The logins are printed, one per role.
    assert "Admin: admin@medh.local / admin12345" in output
    assert "sarah.weber@medh.local / demo12345" in output
    assert "student001@medh.local / demo12345" in output
    assert "German A1 (GER-A1): 12 batches (12 new), 300 active enrollments (300 new)" in output

    # The history agrees with the rows: the admin who "assigned" and "created" them is who
    # changed them, never "System".
    admin = User.objects.get(email="admin@medh.local")
    for model in (Batch, ScheduleSlot, BatchTrainer, Enrollment, IndividualAssignment):
        users = set(model.history.values_list("history_user", flat=True).distinct())
        assert users == {admin.pk}, model.__name__
    assert set(BatchTrainer.objects.values_list("assigned_by", flat=True)) == {admin.pk}

    # Matching: every trainer offers skills and languages; a few students say what they need,
    # so the mentor page ranks with reasons.
    assert not TrainerProfile.objects.filter(skills__isnull=True).exists()
    assert not TrainerProfile.objects.filter(languages=[]).exists()
    mentee = User.objects.get(email=demo.Student(1).email)
    ranked = mentor_candidates(mentee)
    # John offers German A1 and Conversation in German and English, and teaches the
    # student's batch; Sarah, who offers as much, is already their mentor: refused, last.
    assert ranked[0].trainer.email == demo.JOHN.email
    assert (ranked[-1].trainer.email, ranked[-1].refusal_kind) == (demo.SARAH.email, "current")
    assert ranked[0].reasons[:2] == (
        "2 of 2 skills: Conversation, German A1",
        "speaks German, English",
    )
    assert ranked[0].reasons[-1].startswith("teaches the student in GER-A1-")


def test_seed_demo_twice_changes_nothing():
    quiet_output = run("seed_demo", "--quiet")
    first = row_counts()
    counters = dict(Batch.objects.values_list("batch_code", "enrolled_students"))

    output = run("seed_demo")

    assert row_counts() == first
    assert {k: first[k] for k in ("users", "trainer profiles", "courses", "batches")} == {
        "users": 1 + 17 + 800,
        "trainer profiles": 17,
        "courses": 2,
        "batches": 38,
    }
    assert first["enrollments"] == 812
    assert dict(Batch.objects.values_list("batch_code", "enrolled_students")) == counters
    assert "English B2 (ENG-B2): 25 batches (0 new), 500 active enrollments (0 new)" in output
    assert (
        "0 user(s), 0 trainer profile(s), 0 mentor assignment(s) and 0 mentoring session(s) created"
        in output
    )
    assert "Admin: admin@medh.local / admin12345" in output
    # --quiet leaves out the progress lines but never the logins.
    assert "GER-A1" not in quiet_output
    assert "Admin: admin@medh.local / admin12345" in quiet_output


# --- reconcile_enrollments --------------------------------------------------------------


def enrolled_batch(students: int = 3, capacity: int = 10) -> Batch:
    """A batch whose students were enrolled through the service, so its counter is right."""
    batch = BatchFactory(capacity=capacity)
    for _ in range(students):
        enrollment_create(student=StudentFactory(), course=batch.course, batch=batch)
    batch.refresh_from_db()
    assert batch.enrolled_students == students
    return batch


def corrupt_counter(batch: Batch, value: int) -> None:
    Batch.objects.filter(pk=batch.pk).update(enrolled_students=value)


def test_reconcile_reports_clean_data():
    enrolled_batch()

    output = run("reconcile_enrollments")

    assert "All batch counters match their enrollments." in output


def test_reconcile_dry_run_reports_and_changes_nothing():
    batch = enrolled_batch(students=3)
    clean = enrolled_batch(students=2)
    corrupt_counter(batch, 1)

    output = run("reconcile_enrollments", "--dry-run")

    assert f"{batch.batch_code}: counter 1, active enrollments 3 — would fix" in output
    assert clean.batch_code not in output
    assert "1 mismatch(es) found, 1 fixable." in output
    batch.refresh_from_db()
    assert batch.enrolled_students == 1


def test_reconcile_repairs_the_counter():
    batch = enrolled_batch(students=3)
    corrupt_counter(batch, 7)

    output = run("reconcile_enrollments")

    assert f"{batch.batch_code}: counter 7, active enrollments 3 — fixed" in output
    assert "1 mismatch(es) found, 1 repaired." in output
    batch.refresh_from_db()
    assert batch.enrolled_students == 3
    assert "All batch counters match their enrollments." in run("reconcile_enrollments")


def test_reconcile_counts_only_active_enrollments():
    batch = enrolled_batch(students=2)
    EnrollmentFactory(batch=batch, status=EnrollmentStatus.CANCELLED)  # holds no seat

    assert "All batch counters match their enrollments." in run("reconcile_enrollments")


def test_reconcile_will_not_fix_more_students_than_seats():
    # Written around the services: three active enrollments in a batch of two seats.
    batch = BatchFactory(capacity=2)
    EnrollmentFactory.create_batch(3, batch=batch)

    output = run("reconcile_enrollments")

    assert f"{batch.batch_code}: counter 0, active enrollments 3 — NOT fixed" in output
    assert "(more active enrollments than its capacity of 2)" in output
    assert "1 mismatch(es) found, 0 repaired." in output
    batch.refresh_from_db()
    assert batch.enrolled_students == 0
