"""Mentor candidates: what people offer and need, the ranking, its reasons, time zones."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from allocation import selectors, services
from allocation.models import StudentNeeds
from allocation.selectors.matching import overlap_minutes, weekly_spans
from core.errors import DomainError
from enrollments.models import Enrollment, EnrollmentStatus, EnrollmentType
from tests.api.conftest import bearer_client
from tests.support import (
    IndividualAssignmentFactory,
    InstructorFactory,
    StudentFactory,
    build_batch,
)
from trainers.models import AvailabilityWindow, Skill, TrainerProfile, TrainerStatus

MONDAY = 0
# A week before any change to summer time (US: 2026-03-08; EU: 2026-03-29).
WINTER_WEEK = dt.date(2026, 3, 2)
# The US is on summer time, the EU not yet.
US_ONLY_WEEK = dt.date(2026, 3, 16)
# Both on summer time.
SUMMER_WEEK = dt.date(2026, 3, 30)


def _instructor(name, *, zone="UTC", skills=(), languages=(), windows=(), **profile):
    user = InstructorFactory(full_name=name, time_zone=zone)
    trainer = TrainerProfile.objects.create(user=user, languages=list(languages), **profile)
    trainer.skills.set(skills)
    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(
            trainer=user,
            day=day,
            start_time=dt.time.fromisoformat(start),
            end_time=dt.time.fromisoformat(end),
        )
        for day, start, end in windows
    )
    return user


def _needs(student, *, skills=(), languages=(), days=(), parts=()):
    return services.student_needs_set(
        student=student,
        updated_by=None,
        skills=skills,
        languages=languages,
        preferred_days=days,
        day_parts=parts,
    )


def _mentees(instructor, n):
    for _ in range(n):
        IndividualAssignmentFactory(instructor=instructor)


@pytest.fixture
def skills(db):
    return {
        name: Skill.objects.create(name=name) for name in ("Business English", "German B1", "IELTS")
    }


@pytest.fixture
def ny_student(db, skills):
    student = StudentFactory(full_name="Nora York", time_zone="America/New_York")
    # Monday morning in New York: 13:00-17:00 UTC in winter, 12:00-16:00 in summer.
    _needs(
        student,
        skills=list(skills.values()),
        languages=["de"],
        days=[MONDAY],
        parts=["morning"],
    )
    return student


def _by_name(candidates):
    return [c.trainer.full_name for c in candidates]


class TestRanking:
    def test_order_skills_language_overlap_headroom_teaching_then_refused(
        self, ny_student, skills, admin, course
    ):
        two = [skills["German B1"], skills["IELTS"]]
        four_hours = [(MONDAY, "13:00", "17:00")]
        two_hours = [(MONDAY, "13:00", "15:00")]
        _instructor("Dora Most", skills=two, languages=["de"], windows=four_hours)
        anna = _instructor(
            "Anna Room",
            skills=two,
            languages=["de", "en"],
            windows=two_hours,
            max_individual_students=8,
        )
        _mentees(anna, 3)
        tight = _instructor(
            "Tom Tight",
            skills=two,
            languages=["de"],
            windows=two_hours,
            max_individual_students=8,
        )
        _mentees(tight, 5)
        teacher = _instructor(
            "Tess Teaches",
            skills=two,
            languages=["de"],
            windows=two_hours,
            max_individual_students=8,
        )
        _mentees(teacher, 5)
        batch = build_batch(
            course=course,
            instructor=teacher,
            created_by=admin,
            batch_code="B-101",
            batch_name="Evening",
            start_date=dt.date(2027, 1, 4),
            end_date=dt.date(2027, 3, 26),
            capacity=10,
            status="Upcoming",
        )
        Enrollment.objects.create(
            student=ny_student,
            course=course,
            batch=batch,
            enrollment_type=EnrollmentType.BATCH,
            status=EnrollmentStatus.ACTIVE,
        )
        _instructor("Bea English", skills=two, languages=["en"], windows=four_hours)
        _instructor("Carl One", skills=[skills["IELTS"]], languages=["de"], windows=four_hours)
        _instructor("Ivy Idle", skills=two, languages=["de"], status=TrainerStatus.INACTIVE)
        _instructor("Lou Leave", skills=two, languages=["de"], status=TrainerStatus.ON_LEAVE)
        full = _instructor("Fay Full", skills=two, languages=["de"], max_individual_students=2)
        _mentees(full, 2)
        current = _instructor("Max Mentor", skills=two, languages=["de"])
        IndividualAssignmentFactory(student=ny_student, instructor=current)

        ranked = selectors.mentor_candidates(ny_student, week_start=WINTER_WEEK)

        assert _by_name(ranked) == [
            "Dora Most",  # 2 skills, German, 4 h
            "Anna Room",  # 2 skills, German, 2 h, 5 free places
            "Tess Teaches",  # ... 3 free places, teaches the student
            "Tom Tight",  # ... 3 free places
            "Bea English",  # 2 skills, no shared language
            "Carl One",  # 1 skill
            # refused, by name
            "Fay Full",
            "Ivy Idle",
            "Lou Leave",
            "Max Mentor",
        ]
        by_name = {c.trainer.full_name: c for c in ranked}
        assert by_name["Anna Room"].reasons == (
            "2 of 3 skills: German B1, IELTS",
            "speaks German",
            "2 h/week overlap",
            "3 of 8 mentees",
        )
        assert by_name["Tess Teaches"].reasons[-1] == "teaches the student in B-101"
        assert by_name["Bea English"].reasons[1] == "speaks none of: German"
        assert by_name["Carl One"].reasons[0] == "1 of 3 skills: IELTS"
        assert by_name["Dora Most"].reasons[2:] == ("4 h/week overlap", "0 mentees (no cap)")
        assert [c.eligible for c in ranked] == [True] * 6 + [False] * 4
        assert by_name["Fay Full"].refusal == (
            "Fay Full already has 2 individually assigned students, their cap of 2"
        )
        assert by_name["Ivy Idle"].refusal == "Ivy Idle is inactive and cannot take new students"
        assert by_name["Lou Leave"].refusal == "Lou Leave is on leave and cannot take new students"
        assert (
            by_name["Max Mentor"].refusal == "This instructor is already assigned to this student"
        )

    def test_refusals_are_what_the_service_says(self, ny_student, admin):
        full = _instructor("Fay Full", max_individual_students=1)
        _mentees(full, 1)
        (candidate,) = selectors.mentor_candidates(ny_student, week_start=WINTER_WEEK)

        with pytest.raises(DomainError) as refused:
            services.individual_assign(student=ny_student, instructor=full, assigned_by=admin)

        assert refused.value.message == candidate.refusal

    def test_no_window_means_available_at_any_time(self, ny_student):
        _instructor("Any Time")

        (candidate,) = selectors.mentor_candidates(ny_student, week_start=WINTER_WEEK)

        assert candidate.overlap_minutes == 4 * 60
        assert "no declared availability: 4 h/week of the student's times" in candidate.reasons

    def test_a_student_without_needs_ranks_by_caseload(self, db):
        student = StudentFactory()
        busy = _instructor("Busy", max_individual_students=4)
        _mentees(busy, 3)
        _instructor("Free", max_individual_students=4)

        ranked = selectors.mentor_candidates(student)

        assert _by_name(ranked) == ["Free", "Busy"]
        assert ranked[0].reasons == ("0 of 4 mentees",)
        assert ranked[0].overlap_minutes is None

    def test_queries_do_not_grow_with_instructors(
        self, ny_student, skills, django_assert_num_queries
    ):
        _instructor("One", skills=[skills["IELTS"]], windows=[(MONDAY, "13:00", "17:00")])
        with django_assert_num_queries(8):
            selectors.mentor_candidates(ny_student, week_start=WINTER_WEEK)
        for n in range(12):
            teacher = _instructor(
                f"More {n}",
                skills=list(skills.values()),
                languages=["de"],
                windows=[(MONDAY, "09:00", "12:00"), (2, "13:00", "17:00")],
                max_individual_students=5,
            )
            _mentees(teacher, 2)
        with django_assert_num_queries(8):
            assert len(selectors.mentor_candidates(ny_student, week_start=WINTER_WEEK)) == 13


class TestOverlapAcrossZones:
    def test_kolkata_instructor_and_new_york_student(self, ny_student):
        # Monday 19:30-23:30 in Kolkata (no summer time) is 14:00-18:00 UTC.
        _instructor("Kiran", zone="Asia/Kolkata", windows=[(MONDAY, "19:30", "23:30")])

        def hours(week):
            return selectors.mentor_candidates(ny_student, week_start=week)[0].overlap_minutes / 60

        assert hours(WINTER_WEEK) == 3  # student 13-17 UTC
        assert hours(US_ONLY_WEEK) == 2  # student 12-16 UTC

    def test_a_new_york_sunday_evening_is_a_kolkata_monday_morning(self, db):
        student = StudentFactory(time_zone="America/New_York")
        _needs(student, days=[6], parts=["evening"])  # Sunday 17-21 EST: 22:00-02:00 UTC
        # Monday 06:00-08:00 in Kolkata: 00:30-02:30 UTC, the day after the student's Sunday.
        _instructor("Kiran", zone="Asia/Kolkata", windows=[(MONDAY, "06:00", "08:00")])

        (candidate,) = selectors.mentor_candidates(student, week_start=dt.date(2026, 2, 23))

        assert candidate.overlap_minutes == 90
        assert "1.5 h/week overlap" in candidate.reasons

    def test_the_us_and_the_eu_change_to_summer_time_on_different_dates(self, ny_student):
        # Monday 14:00-18:00 Berlin: 13-17 UTC in winter, 12-16 UTC in summer.
        _instructor("Berta", zone="Europe/Berlin", windows=[(MONDAY, "14:00", "18:00")])

        def hours(week):
            return selectors.mentor_candidates(ny_student, week_start=week)[0].overlap_minutes / 60

        assert (hours(WINTER_WEEK), hours(US_ONLY_WEEK), hours(SUMMER_WEEK)) == (4, 3, 4)

    def test_the_default_week_is_the_next_monday(self):
        assert selectors.reference_week(dt.date(2026, 3, 4)) == dt.date(2026, 3, 9)
        assert selectors.reference_week(dt.date(2026, 3, 9)) == dt.date(2026, 3, 16)

    def test_overlapping_windows_count_once(self):
        days = [WINTER_WEEK]
        mine = weekly_spans(
            [(MONDAY, dt.time(9), dt.time(12)), (MONDAY, dt.time(10), dt.time(13))], "UTC", days
        )
        theirs = weekly_spans([(MONDAY, dt.time(8), dt.time(21))], "UTC", days)
        assert overlap_minutes(mine, theirs) == 4 * 60


class TestNeeds:
    def test_needs_are_replaced(self, db, skills):
        student = StudentFactory()
        _needs(
            student,
            skills=[skills["IELTS"]],
            languages=["de", "en"],
            days=[4, 0],
            parts=["evening"],
        )
        needs = _needs(student, languages=["fr"])

        assert StudentNeeds.objects.count() == 1
        assert (list(needs.skills.all()), needs.languages, needs.preferred_days) == ([], ["fr"], [])

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("languages", ["xx"], "Unknown language code: xx"),
            ("days", [7], "Days must be distinct weekdays 0 (Monday) to 6 (Sunday)"),
            ("parts", ["night"], "Parts of the day must be distinct values of"),
        ],
    )
    def test_unknown_values_are_refused(self, db, field, value, message):
        with pytest.raises(DomainError, match=message.replace("(", r"\(").replace(")", r"\)")):
            _needs(StudentFactory(), **{field: value})

    def test_only_a_student_has_needs(self, instructor):
        with pytest.raises(DomainError, match="Only a student has needs to record"):
            _needs(instructor)

    def test_preferred_windows(self, db):
        needs = StudentNeeds(preferred_days=[2], day_parts=[])
        assert [(d, s.hour, e.hour) for d, s, e in needs.preferred_windows()] == [
            (2, 8, 12),
            (2, 12, 17),
            (2, 17, 21),
        ]
        assert StudentNeeds().preferred_windows() == []


class TestPage:
    def test_the_mentor_page_shows_the_ranking_and_saves_needs(self, client, admin, skills):
        student = StudentFactory(full_name="Sam Student", time_zone="America/New_York")
        _instructor("Dora Most", skills=[skills["IELTS"]], languages=["de"])
        client.force_login(admin)
        page = reverse("console:mentor_assign", args=[student.pk])

        response = client.post(
            reverse("console:student_needs_edit", args=[student.pk]),
            {
                "needs-skills": [skills["IELTS"].pk],
                "needs-languages": ["de"],
                "needs-preferred_days": ["0", "2"],
                "needs-day_parts": ["evening"],
                "needs-notes": "Exam in June",
            },
        )
        assert response.status_code == 302
        needs = StudentNeeds.objects.get(student=student)
        assert (needs.languages, needs.preferred_days, needs.day_parts, needs.notes) == (
            ["de"],
            [0, 2],
            ["evening"],
            "Exam in June",
        )

        html = client.get(page).content.decode()
        assert "1 of 1 skills: IELTS" in html
        assert "speaks German" in html
        assert "Monday, Wednesday · Evening 17–21" in html

    def test_a_bad_value_is_a_form_error(self, client, admin):
        student = StudentFactory()
        client.force_login(admin)

        response = client.post(
            reverse("console:student_needs_edit", args=[student.pk]),
            {"needs-languages": ["xx"], "needs-preferred_days": ["9"]},
        )

        assert response.status_code == 200
        assert response.context["needs_form"].errors
        assert not StudentNeeds.objects.exists()


class TestApi:
    def test_candidates_in_rank_order_with_reasons(self, ny_student, skills, admin):
        # No declared window: available at any time, so every preferred hour (4 a week)
        # overlaps whatever the week's summer time.
        _instructor("Dora Most", skills=[skills["IELTS"]], languages=["de"])
        _instructor("Ivy Idle", status=TrainerStatus.INACTIVE)

        body = bearer_client(admin).get(f"/api/students/{ny_student.pk}/mentor-candidates").json()

        assert body["success"] is True and body["count"] == 2
        first, last = body["data"]
        assert first["rank"] == 1 and first["instructor"]["name"] == "Dora Most"
        assert first["eligible"] is True and first["refusal"] == ""
        assert first["skills_matched"] == ["IELTS"] and first["languages_shared"] == ["de"]
        assert first["overlap_hours"] == 4.0
        assert first["reasons"] == [
            "1 of 3 skills: IELTS",
            "speaks German",
            "no declared availability: 4 h/week of the student's times",
            "0 mentees (no cap)",
        ]
        assert last["eligible"] is False
        assert last["refusal"] == "Ivy Idle is inactive and cannot take new students"

    def test_not_a_student_is_404(self, admin, instructor):
        response = bearer_client(admin).get(f"/api/students/{instructor.pk}/mentor-candidates")
        assert response.status_code == 404
        assert response.json()["success"] is False
