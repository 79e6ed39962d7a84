"""Alternatives offered when a batch or its instructor is refused for a schedule conflict:
every one offered is accepted when applied through the service."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from allocation import services
from allocation.alternatives import clash_alternatives
from allocation.models import Batch, CourseTrainer
from core.errors import DomainError
from tests.api.conftest import bearer_client
from tests.support import InstructorFactory, build_batch, slot
from trainers.models import AvailabilityWindow

START, END = dt.date(2027, 1, 4), dt.date(2027, 3, 26)  # 12 weeks
# Three slots; the Monday one clashes with the instructor's other batch.
SCHEDULE = [slot(0, "10:00", "12:00"), slot(2, "10:00", "12:00"), slot(4, "14:00", "15:30")]


@pytest.fixture
def busy(db, admin, course, instructor):
    """The instructor teaches Monday 10:00-12:00 (and Wednesday 18:00-20:00) all term."""
    return build_batch(
        course=course,
        instructor=instructor,
        created_by=admin,
        schedule=[slot(0, "10:00", "12:00"), slot(2, "18:00", "20:00")],
        batch_name="Busy",
        start_date=START,
        end_date=END,
        capacity=10,
        status="Upcoming",
    )


def _create(course, admin, instructor, schedule, **fields):
    return services.batch_create(
        course=course,
        batch_name="New",
        start_date=fields.pop("start_date", START),
        end_date=fields.pop("end_date", END),
        capacity=10,
        assigned_instructor=instructor,
        created_by=admin,
        schedule=schedule,
        **fields,
    )


def _refused(course, admin, instructor, schedule, **fields):
    with pytest.raises(DomainError) as refused:
        _create(course, admin, instructor, schedule, **fields)
    assert refused.value.code == "conflict"
    return refused.value


def _accepted(course, admin, instructor, alternative, **fields):
    """Apply the alternative through batch_create, then undo it."""
    with transaction.atomic():
        if alternative.kind == "time":
            _create(course, admin, instructor, list(alternative.slots), **fields)
        else:
            _create(course, admin, alternative.instructor, SCHEDULE, **fields)
        transaction.set_rollback(True)


def _proposal(course, **fields):
    return Batch(course=course, start_date=START, end_date=END, **fields)


def test_every_alternative_offered_is_accepted(busy, course, admin, instructor):
    InstructorFactory(full_name="Free Fiona")
    InstructorFactory(full_name="Free Frank")
    _refused(course, admin, instructor, SCHEDULE)

    found = clash_alternatives(_proposal(course), SCHEDULE, instructor)

    assert 1 <= len(found) <= 5
    kinds = [a.kind for a in found]
    assert "time" in kinds and "instructor" in kinds
    first = found[0]
    # The nearest free time on the same weekday (08:00 and 12:00 are as near: the earlier
    # first), the other slots kept.
    assert [str(s) for s in first.slots] == [
        "Monday 08:00–10:00",
        "Wednesday 10:00–12:00",
        "Friday 14:00–15:30",
    ]
    for alternative in found:
        _accepted(course, admin, instructor, alternative)


def test_alternatives_respect_availability_and_teaching_hours(
    busy, course, admin, instructor, settings
):
    settings.TEACHING_HOURS = ("09:00", "17:00")
    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(trainer=instructor, day=d, start_time=dt.time(8), end_time=dt.time(16))
        for d in range(5)
    )
    _refused(course, admin, instructor, SCHEDULE)

    found = clash_alternatives(_proposal(course), SCHEDULE, instructor)

    times = [a for a in found if a.kind == "time"]
    assert times
    for alternative in times:
        for s in alternative.slots:
            assert dt.time(9) <= s.start_time and s.end_time <= dt.time(16)
        _accepted(course, admin, instructor, alternative)


def test_a_fully_booked_instructor_gets_instructor_alternatives(busy, course, admin, instructor):
    # Available only when they already teach: no other time can work.
    AvailabilityWindow.objects.create(
        trainer=instructor, day=0, start_time=dt.time(10), end_time=dt.time(12)
    )
    others = [InstructorFactory(full_name=f"Other {n}") for n in range(7)]
    schedule = [slot(0, "10:00", "12:00")]
    with pytest.raises(DomainError):
        _create(course, admin, instructor, schedule)

    found = clash_alternatives(_proposal(course), schedule, instructor)

    assert [a.kind for a in found] == ["instructor"] * 5
    assert {a.instructor for a in found} <= set(others)
    for alternative in found:
        with transaction.atomic():
            _create(course, admin, alternative.instructor, schedule)
            transaction.set_rollback(True)


def test_across_zones_and_a_summer_time_change(db, course, admin, instructor):
    # The instructor teaches a Berlin batch Monday 16:00-18:00 over the EU change (29 March);
    # the new batch is in New York (changes 8 March), Monday 10:00-12:00: 16:00-18:00 in
    # Berlin in the weeks both are on the same time, 15:00-17:00 in between.
    start, end = dt.date(2027, 2, 1), dt.date(2027, 4, 30)
    build_batch(
        course=course,
        instructor=instructor,
        created_by=admin,
        schedule=[slot(0, "16:00", "18:00")],
        batch_name="Berlin",
        start_date=start,
        end_date=end,
        capacity=10,
        status="Upcoming",
        time_zone="Europe/Berlin",
    )
    schedule = [slot(0, "10:00", "12:00")]
    fields = {"start_date": start, "end_date": end, "time_zone": "America/New_York"}
    _refused(course, admin, instructor, schedule, **fields)

    proposal = Batch(course=course, start_date=start, end_date=end, time_zone="America/New_York")
    found = clash_alternatives(proposal, schedule, instructor)

    assert found and found[0].kind == "time"
    for alternative in found:
        _accepted(course, admin, instructor, alternative, **fields)


def test_the_api_keeps_the_message_and_adds_alternatives(busy, course, admin, instructor):
    InstructorFactory(full_name="Free Fiona")
    body = {
        "batch_name": "New",
        "start_date": START.isoformat(),
        "end_date": END.isoformat(),
        "capacity": 10,
        "assigned_instructor": instructor.pk,
        "schedule": [
            {"day": "Monday", "start_time": "10:00", "end_time": "12:00"},
        ],
    }
    refusal = _refused(course, admin, instructor, [slot(0, "10:00", "12:00")])

    response = bearer_client(admin).post(
        f"/api/batches/courses/{course.pk}/batches", body, format="json"
    )

    assert response.status_code == 400
    answer = response.json()
    assert answer["success"] is False
    assert answer["message"] == refusal.message
    alternatives = answer["alternatives"]
    assert 1 <= len(alternatives) <= 5
    assert alternatives[0] == {
        "kind": "time",
        "slots": [{"day": "Monday", "start_time": "08:00", "end_time": "10:00"}],
        "label": "Monday 08:00–10:00",
    }
    fiona = next(a for a in alternatives if a["kind"] == "instructor")
    assert fiona["name"] == "Free Fiona" and isinstance(fiona["id"], int)
    # Applying the first one through the API is accepted.
    body["schedule"] = alternatives[0]["slots"]
    applied = bearer_client(admin).post(
        f"/api/batches/courses/{course.pk}/batches", body, format="json"
    )
    assert applied.status_code == 201, applied.json()


def test_assigning_a_busy_instructor_offers_instructors(busy, course, admin, instructor):
    other = InstructorFactory(full_name="Olga Other")
    batch = build_batch(
        course=course,
        instructor=other,
        created_by=admin,
        schedule=[slot(0, "10:00", "12:00")],
        batch_name="Other's",
        start_date=START,
        end_date=END,
        capacity=10,
        status="Upcoming",
    )
    free = InstructorFactory(full_name="Free Fiona")

    response = bearer_client(admin).put(
        f"/api/batches/{batch.pk}/assign-instructor/{instructor.pk}"
    )

    answer = response.json()
    assert response.status_code == 400
    assert answer["message"].startswith("Schedule conflict:")
    assert [(a["kind"], a["id"]) for a in answer["alternatives"]] == [("instructor", free.pk)]


def test_the_batch_forms_live_warning_offers_alternatives_that_save(
    client, busy, course, admin, instructor
):
    """The console's live check answers a clash with alternatives; each, posted with the
    batch form as the one click fills it, creates the batch."""
    from django.urls import reverse

    from allocation.models import Batch as BatchModel
    from allocation.tests.test_views_batch_form import form_data

    fiona = InstructorFactory(full_name="Free Fiona")
    client.force_login(admin)
    query = {
        "instructor": instructor.pk,
        "start_date": START.isoformat(),
        "end_date": END.isoformat(),
        "slot": ["0,10:00,12:00", "2,10:00,12:00"],
    }

    answer = client.get(reverse("console:batch_conflicts"), query).json()

    assert answer["conflicts"]
    alternatives = answer["alternatives"]
    assert 1 <= len(alternatives) <= 5
    assert alternatives[0]["slots"][0] == {"day": 0, "start_time": "08:00", "end_time": "10:00"}
    assert {"kind": "instructor", "id": fiona.pk, "name": "Free Fiona", "label": "Free Fiona"} in (
        alternatives
    )
    for n, alternative in enumerate(alternatives):
        if alternative["kind"] == "time":
            slots = [(s["day"], s["start_time"], s["end_time"]) for s in alternative["slots"]]
            who = instructor
        else:
            slots = [(0, "10:00", "12:00"), (2, "10:00", "12:00")]
            who = fiona
        data = form_data(course, who, slots, batch_name=f"Alt {n}", start_date=START, end_date=END)
        with transaction.atomic():  # each on its own: undone before the next
            response = client.post(reverse("console:batch_create"), data)
            assert response.status_code == 302, alternative
            assert BatchModel.objects.filter(batch_name=f"Alt {n}").exists()
            transaction.set_rollback(True)


def test_editing_a_batch_into_a_clash_offers_what_batch_update_accepts(
    busy, course, admin, instructor
):
    assistant = InstructorFactory(full_name="Asha Assistant")
    InstructorFactory(full_name="Free Fiona")
    batch = _create(course, admin, instructor, [slot(1, "10:00", "12:00")])
    CourseTrainer.objects.create(course=course, trainer=assistant, role="assistant")
    services.batch_staff_add(batch=batch, trainer=assistant, role="assistant", added_by=admin)
    # The assistant is busy on Mondays 08:00-10:00: no alternative may put the batch there.
    build_batch(
        course=course,
        instructor=assistant,
        created_by=admin,
        schedule=[slot(0, "08:00", "10:00")],
        batch_name="Asha's",
        start_date=START,
        end_date=END,
        capacity=10,
        status="Upcoming",
    )
    clashing = [slot(0, "10:00", "12:00")]
    with pytest.raises(DomainError) as refused:
        services.batch_update(batch=batch, schedule=clashing, updated_by=admin)
    assert refused.value.message.startswith(f"Schedule conflict: {instructor.display_name} ")

    found = clash_alternatives(Batch.objects.get(pk=batch.pk), clashing, instructor)

    assert found
    assert all(str(s) != "Monday 08:00–10:00" for a in found for s in a.slots)
    for alternative in found:
        with transaction.atomic():
            if alternative.kind == "time":
                services.batch_update(
                    batch=Batch.objects.get(pk=batch.pk),
                    schedule=list(alternative.slots),
                    updated_by=admin,
                )
            else:
                services.batch_update(
                    batch=Batch.objects.get(pk=batch.pk),
                    schedule=clashing,
                    assigned_instructor=alternative.instructor,
                    updated_by=admin,
                )
            transaction.set_rollback(True)
