"""The trainer assignment and balancing pages (allocation/views/assignment.py)."""

import pytest
from django.urls import reverse

from accounts.tests.factories import InstructorFactory
from allocation.models import BatchTemplate, BatchTrainer, CourseTrainer, StaffRole
from allocation.services import roster_add, roster_update
from allocation.tests.view_support import slot
from core import dates
from tests.support import csv_text
from trainers.tests.factories import TrainerLeaveFactory

pytestmark = pytest.mark.django_db

PREVIEW = reverse("assignment:preview")
BALANCE = reverse("assignment:balance")
MON, TUE, WED, THU = range(4)


def trainer(name):
    return InstructorFactory(full_name=name, email=f"{name.lower()}@example.com")


def roster(course, user, percent=0):
    entry = CourseTrainer.objects.filter(course=course, trainer=user).first()
    if entry is None:
        return roster_add(course=course, trainer=user, workload_percent=percent)
    return roster_update(entry=entry, workload_percent=percent)


def assistants(course) -> set[tuple[str, str]]:
    return set(
        BatchTrainer.objects.filter(
            batch__course=course, role=StaffRole.ASSISTANT, ended_at__isnull=True
        ).values_list("batch__batch_name", "trainer__full_name")
    )


@pytest.fixture
def staffed(make_batch, course):
    """Two batches wanting an assistant each; Quinn (50 %) is the unique best choice."""
    p1, p2, q = trainer("Paula"), trainer("Peter"), trainer("Quinn")
    make_batch(instructor=p1, batch_name="B1", schedule=[slot(MON, "10:00", "12:00")])
    make_batch(instructor=p2, batch_name="B2", schedule=[slot(TUE, "10:00", "12:00")])
    roster(course, p1, 25)
    roster(course, p2, 25)
    roster(course, q, 50)
    BatchTemplate.objects.create(course=course, assistants=1)
    return q


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- access ----------------------------------------------------------------------------------


# --- preview and apply -----------------------------------------------------------------------


def test_preview_shows_the_proposal_loads_and_status(admin_client, staffed, course):
    response = admin_client.get(PREVIEW, {"course": course.pk, "time_limit": 5})
    assert response.status_code == 200
    proposal = response.context["proposal"]
    assert [(r.batch.batch_name, r.trainer.full_name) for r in proposal.rows] == [
        ("B1", "Quinn"),
        ("B2", "Quinn"),
    ]
    body = response.content.decode()
    assert "Proven optimal" in body
    assert 'data-testid="proposal"' in body and "Quinn" in body
    assert 'data-testid="loads"' in body
    assert "Apply 2 assignments" in body
    for token in proposal.tokens:
        assert f'name="rows" value="{token}"' in body
    # The role badge names the role as people write it, not its stored value.
    assert '">Assistant</span>' in body
    assert '">assistant</span>' not in body


def test_first_visit_solves_every_course_with_the_defaults(admin_client, staffed):
    response = admin_client.get(PREVIEW)
    assert response.status_code == 200
    assert len(response.context["proposal"].rows) == 2
    assert response.context["proposal"].time_limit == 10


def test_apply_the_posted_proposal(admin_client, staffed, course):
    tokens = admin_client.get(PREVIEW, {"course": course.pk}).context["proposal"].tokens
    response = admin_client.post(
        PREVIEW, {"rows": tokens, "course": course.pk, "time_limit": 5}, follow=True
    )
    assert response.redirect_chain[0][0] == f"{PREVIEW}?course={course.pk}&time_limit=5"
    assert messages_of(response) == ["Applied 2 assignment(s)."]
    assert assistants(course) == {("B1", "Quinn"), ("B2", "Quinn")}
    assert response.context["proposal"].rows == []  # solved again: nothing left


def test_a_refused_apply_is_a_message_and_writes_nothing(admin_client, staffed, course):
    tokens = admin_client.get(PREVIEW, {"course": course.pk}).context["proposal"].tokens
    TrainerLeaveFactory(trainer=staffed, start_date=dates.today(), end_date=dates.today())
    response = admin_client.post(PREVIEW, {"rows": tokens}, follow=True)
    assert response.status_code == 200
    [message] = messages_of(response)
    assert message.startswith("Row 1 (") and "Quinn is on leave" in message
    assert assistants(course) == set()


@pytest.mark.parametrize(
    "data",
    [
        {"rows": ["junk"]},
        {"rows": ["1:primary:2"]},
        {},
        {"rows": ["1:assistant:2:0"], "course": "not-a-course"},
        {"rows": ["1:assistant:2:0"], "time_limit": "-4"},
    ],
)
def test_bad_input_is_a_form_error(admin_client, staffed, course, data):
    response = admin_client.post(PREVIEW, data)
    assert response.status_code == 200
    assert response.context["apply_form"].errors
    assert 'data-testid="apply-errors"' in response.content.decode()
    assert assistants(course) == set()


@pytest.mark.parametrize("query", [{"time_limit": "0"}, {"time_limit": "abc"}, {"course": "99"}])
def test_bad_queries_are_form_errors(admin_client, query):
    response = admin_client.get(PREVIEW, query)
    assert response.status_code == 200
    assert response.context["form"].errors and response.context["proposal"] is None


def test_preview_csv(admin_client, staffed, course):
    response = admin_client.get(PREVIEW, {"course": course.pk, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    lines = csv_text(response).splitlines()
    assert lines[0].startswith("Batch,Batch name,Course,Role,Trainer")
    assert len(lines) == 3 and all(",assistant,Quinn," in line for line in lines[1:])


def test_unassignable_positions_are_listed_with_reasons(admin_client, staffed, course):
    TrainerLeaveFactory(trainer=staffed, start_date=dates.today(), end_date=dates.today())
    for name in ("Paula", "Peter"):
        CourseTrainer.objects.filter(trainer__full_name=name).update(status="on_leave")
    response = admin_client.get(PREVIEW, {"course": course.pk})
    body = response.content.decode()
    assert 'data-testid="unassignable"' in body
    assert "No roster trainer may take it" in body
    assert "Quinn is on leave" in body
    assert '">Assistant</span>' in body and '">assistant</span>' not in body


def _grow(make_batch, course, n: int) -> None:
    """n more batches with their own primaries on the roster: more positions and trainers."""
    for i in range(n):
        primary = trainer(f"Extra{i}")
        make_batch(
            instructor=primary,
            batch_name=f"Extra {i}",
            schedule=[slot(i % 5, "14:00", "15:30"), slot((i + 2) % 5, "16:00", "17:00")],
        )


def test_preview_query_count_does_not_grow(
    admin_client, staffed, course, make_batch, django_assert_max_num_queries
):
    # session, user, open batches, slots, staff, roster, trainers with workload, teaching
    # contexts (profiles given: teaching rows, windows, leaves, roster, taught slots, covered
    # slots), targets (roster shares, assistants per batch, slots), the course choices
    with django_assert_max_num_queries(17):
        small = admin_client.get(PREVIEW, {"time_limit": 5})
    _grow(make_batch, course, 8)
    with django_assert_max_num_queries(17):
        large = admin_client.get(PREVIEW, {"time_limit": 5})
    assert len(small.context["proposal"].rows) == 2
    assert large.context["proposal"].positions == 10


# --- balancing -------------------------------------------------------------------------------


@pytest.fixture
def lopsided(make_batch, course):
    ann, ben = trainer("Ann"), trainer("Ben")
    for d in (MON, TUE, WED, THU):
        make_batch(instructor=ann, batch_name=f"Day {d}", schedule=[slot(d, "10:00", "12:00")])
    roster(course, ann, 50)
    roster(course, ben, 50)
    return ann, ben


def _primaries(course) -> list[str]:
    return sorted(b.assigned_instructor.full_name for b in course.batches.all())


def test_balance_page_shows_the_moves(admin_client, lopsided, course):
    response = admin_client.get(BALANCE, {"course": course.pk, "tolerance": "0"})
    assert response.status_code == 200
    proposal = response.context["proposal"]
    assert len(proposal.rows) == 2
    body = response.content.decode()
    assert 'data-testid="moves"' in body and "Apply all 2 moves" in body
    balanced = admin_client.get(BALANCE, {"course": course.pk, "tolerance": "4"})
    assert balanced.context["proposal"].rows == []
    assert 'data-testid="balanced"' in balanced.content.decode()


def test_balance_apply_one_then_all(admin_client, lopsided, course):
    query = {"course": course.pk, "tolerance": "0", "time_limit": 5}
    tokens = admin_client.get(BALANCE, query).context["proposal"].tokens
    response = admin_client.post(BALANCE, {**query, "rows": tokens[:1], "action": "one"})
    assert response.status_code == 302
    assert _primaries(course) == ["Ann", "Ann", "Ann", "Ben"]
    tokens = admin_client.get(BALANCE, query).context["proposal"].tokens
    assert len(tokens) == 1
    response = admin_client.post(BALANCE, {**query, "rows": tokens, "action": "all"}, follow=True)
    assert messages_of(response) == ["Applied 1 move(s)."]
    assert _primaries(course) == ["Ann", "Ann", "Ben", "Ben"]
    assert response.context["proposal"].rows == []


def test_balance_refusal_is_a_message(admin_client, lopsided, course):
    tokens = admin_client.get(BALANCE, {"tolerance": "0"}).context["proposal"].tokens
    TrainerLeaveFactory(trainer=lopsided[1], start_date=dates.today(), end_date=dates.today())
    response = admin_client.post(BALANCE, {"rows": tokens, "action": "all"}, follow=True)
    [message] = messages_of(response)
    assert "Ben is on leave" in message and "Nothing was applied" in message
    assert _primaries(course) == ["Ann"] * 4


@pytest.mark.parametrize(
    "data",
    [
        {"rows": ["junk"], "action": "all"},
        {"rows": ["1:primary:2:3", "4:primary:2:3"], "action": "one"},
        {"rows": ["1:primary:2:3"], "action": "maybe"},
        {"rows": ["1:primary:2:3"], "action": "one", "tolerance": "-1"},
    ],
)
def test_balance_bad_input_is_a_form_error(admin_client, lopsided, course, data):
    response = admin_client.post(BALANCE, data)
    assert response.status_code == 200
    assert response.context["apply_form"].errors
    assert _primaries(course) == ["Ann"] * 4


def test_negative_tolerance_is_a_form_error(admin_client, lopsided):
    response = admin_client.get(BALANCE, {"tolerance": "-1"})
    assert response.status_code == 200
    assert "tolerance" in response.context["form"].errors
    assert response.context["proposal"] is None
