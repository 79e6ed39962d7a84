"""Schemathesis over the whole OpenAPI schema, against the Django WSGI app in-process.

Two tests:

- every operation, called with generated data (valid and invalid, as an admin with a Bearer
  token) a bounded number of times;
- a stateful run that follows OpenAPI links: a list or a create answers with ids, which the
  next call uses (create a course → add a trainer → update it → remove it, list batches →
  staff one → read its trainers, create a user → enroll them → cancel the enrollment, ...).

No answer may be a 5xx, and every answer must be one the schema allows (status code, content
type, body).
"""

from __future__ import annotations

import copy
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)

from medh.wsgi import application

# Enough to reach every operation many times with valid and invalid data, bounded so the suite
# stays fast, and derandomized so that every run sends the same requests. For a deeper, random
# search set MEDH_FUZZ_EXAMPLES (e.g. 300, which passes on SQLite and PostgreSQL).
EXPLORE = "MEDH_FUZZ_EXAMPLES" in os.environ
MAX_EXAMPLES = int(os.environ.get("MEDH_FUZZ_EXAMPLES", "40"))
# Scenarios of the stateful run, each a chain of up to STATEFUL_STEPS linked calls.
STATEFUL_EXAMPLES = int(os.environ.get("MEDH_FUZZ_STATEFUL_EXAMPLES", "100"))
STATEFUL_STEPS = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    ignored_auth,  # the same call without the token must be refused (401)
]
# The stateful run checks the answers of the chain; `ignored_auth` would re-send every step.
STATEFUL_CHECKS = CHECKS[:-1]


@pytest.fixture
def keep_test_connection():
    """Calls go through the real WSGI handler, whose request signals close "old" database
    connections — on PostgreSQL that would be the test's own, inside its transaction. Django's
    test client detaches the same receiver for the same reason."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(world, keep_test_connection):
    return Token.objects.get_or_create(user=world.admin)[0].key


@pytest.fixture(scope="module")
def api_schema(django_db_setup, django_db_blocker):
    """The served schema, loaded when the first test of the module runs, not at collection
    (a run that leaves these tests out, ``-m "not slow"``, never generates it). Generating it
    reads no table, but the request's signals check the open test connection: the database is
    unblocked and the connection kept, as for the calls."""
    with django_db_blocker.unblock():
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            return schemathesis.openapi.from_wsgi("/api/schema/", application)
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def _node_id_for_the_lazy_schema(request):
    """The lazy schema's runner reads ``item._nodeid`` (to name each operation's subtest),
    which pytest 9.2 no longer has (it keeps the id in ``nodeid``): give it the same string."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=not EXPLORE,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def test_every_operation_is_fuzzed(api_schema):
    """The parametrized test below covers the whole API: no operation is left out."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == sum(
        1
        for item in api_schema.raw_schema["paths"].values()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    )
    assert len(operations) >= 33


@pytest.fixture
def world_per_operation(db):
    """Each operation is fuzzed from the same world, as when each was a test of its own: what
    one operation's calls wrote is rolled back before the next operation starts (the calls of
    one operation do see each other's writes)."""
    state = {"label": None, "savepoint": None}

    def rollback():
        if state["savepoint"] is not None:
            transaction.set_rollback(True)
            state["savepoint"].__exit__(None, None, None)
            state["savepoint"] = None

    def enter(label: str) -> None:
        if label != state["label"]:
            rollback()
            state["label"], state["savepoint"] = label, transaction.atomic()
            state["savepoint"].__enter__()

    yield enter
    rollback()


@pytest.mark.django_db
@schema.parametrize()
@FUZZ_SETTINGS
def test_no_server_error_and_every_answer_fits_the_schema(case, admin_token, world_per_operation):
    world_per_operation(case.operation.label)
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_token}"}, checks=CHECKS)


# --- stateful: OpenAPI links -----------------------------------------------------------------
#
# The served schema has no links (drf-spectacular does not write them), so they are added here,
# on a copy: (source operation, status, link name, target operation, parameters, request body).
ID = "$response.body#/data/_id"
FIRST = "$response.body#/data/0/_id"
LINKS = [
    # lists → the item they name
    ("batches_list", "200", "batch", "batches_retrieve", {"batch_id": FIRST}, None),
    ("batches_list", "200", "update", "batches_update", {"batch_id": FIRST}, None),
    ("batches_list", "200", "delete", "batches_destroy", {"batch_id": FIRST}, None),
    ("batches_list", "200", "students", "batches_students_retrieve", {"batch_id": FIRST}, None),
    ("batches_list", "200", "trainers", "batches_trainers_retrieve", {"batch_id": FIRST}, None),
    ("batches_list", "200", "add", "batches_trainers_create", {"batch_id": FIRST}, None),
    (
        "batches_list",
        "200",
        "backup",
        "batches_trainers_backup_create",
        {"batch_id": FIRST},
        None,
    ),
    (
        "batches_list",
        "200",
        "primary",
        "batches_trainers_primary_update",
        {"batch_id": FIRST},
        {"trainer": "$response.body#/data/0/assigned_instructor/_id"},
    ),
    (
        "batches_list",
        "200",
        "assign",
        "batches_assign_instructor_update",
        {"batch_id": FIRST, "instructor_id": "$response.body#/data/0/assigned_instructor/_id"},
        None,
    ),
    (
        "batches_list",
        "200",
        "sibling",
        "batches_courses_batches_create",
        {"course_id": "$response.body#/data/0/course"},
        {"assigned_instructor": "$response.body#/data/0/assigned_instructor/_id"},
    ),
    (
        "batches_list",
        "200",
        "workload",
        "instructors_workload_retrieve",
        {"instructor_id": "$response.body#/data/0/assigned_instructor/_id"},
        None,
    ),
    ("courses_retrieve", "200", "roster", "courses_trainers_retrieve", {"course_id": FIRST}, None),
    ("courses_retrieve", "200", "join", "courses_trainers_create", {"course_id": FIRST}, None),
    (
        "courses_retrieve",
        "200",
        "batches",
        "batches_courses_batches_retrieve",
        {"course_id": FIRST},
        None,
    ),
    ("users_list", "200", "user", "users_retrieve", {"user_id": FIRST}, None),
    (
        "users_list",
        "200",
        "enroll",
        "enrollments_students_enroll_create",
        {"student_id": FIRST},
        None,
    ),
    (
        "users_list",
        "200",
        "workload",
        "instructors_workload_retrieve",
        {"instructor_id": FIRST},
        None,
    ),
    (
        "users_list",
        "200",
        "students",
        "v1_auth_instructor_students_retrieve",
        {"instructor_id": FIRST},
        None,
    ),
    (
        "users_list",
        "200",
        "unassign",
        "v1_auth_unassign_instructor_from_student_destroy",
        {"student_id": FIRST},
        None,
    ),
    (
        "users_list",
        "200",
        "mentor",
        "v1_auth_assign_instructor_to_student_create",
        None,
        {"student_id": FIRST, "instructor_id": "$response.body#/data/1/_id"},
    ),
    ("enrollments_list", "200", "get", "enrollments_retrieve", {"enrollment_id": FIRST}, None),
    ("enrollments_list", "200", "update", "enrollments_update", {"enrollment_id": FIRST}, None),
    ("enrollments_list", "200", "cancel", "enrollments_destroy", {"enrollment_id": FIRST}, None),
    (
        "enrollments_list",
        "200",
        "again",
        "enrollments_students_enroll_create",
        {"student_id": "$response.body#/data/0/student"},
        {"courseId": "$response.body#/data/0/course", "batchId": "$response.body#/data/0/batch"},
    ),
    # issue 23: reads of what a list or a create names
    ("batches_list", "200", "waitlist", "batches_waitlist_retrieve", {"batch_id": FIRST}, None),
    (
        "batches_list",
        "200",
        "template",
        "courses_batch_template_retrieve",
        {"course_id": "$response.body#/data/0/course"},
        None,
    ),
    (
        "batches_list",
        "200",
        "leave",
        "trainers_leave_retrieve",
        {"trainer_id": "$response.body#/data/0/assigned_instructor/_id"},
        None,
    ),
    ("users_list", "200", "rename", "users_update", {"user_id": FIRST}, None),
    (
        "courses_create",
        "201",
        "template",
        "courses_batch_template_retrieve",
        {"course_id": ID},
        None,
    ),
    # creates → the new object
    ("courses_create", "201", "roster", "courses_trainers_retrieve", {"course_id": ID}, None),
    ("courses_create", "201", "join", "courses_trainers_create", {"course_id": ID}, None),
    ("courses_create", "201", "batch", "batches_courses_batches_create", {"course_id": ID}, None),
    (
        "courses_trainers_create",
        "201",
        "update",
        "courses_trainers_update",
        {"course_id": "$request.path.course_id", "trainer_id": "$response.body#/data/trainer/_id"},
        None,
    ),
    (
        "courses_trainers_create",
        "201",
        "remove",
        "courses_trainers_destroy",
        {"course_id": "$request.path.course_id", "trainer_id": "$response.body#/data/trainer/_id"},
        None,
    ),
    ("batches_courses_batches_create", "201", "get", "batches_retrieve", {"batch_id": ID}, None),
    ("batches_courses_batches_create", "201", "update", "batches_update", {"batch_id": ID}, None),
    ("batches_courses_batches_create", "201", "delete", "batches_destroy", {"batch_id": ID}, None),
    (
        "batches_courses_batches_create",
        "201",
        "trainers",
        "batches_trainers_retrieve",
        {"batch_id": ID},
        None,
    ),
    ("users_create", "201", "get", "users_retrieve", {"user_id": ID}, None),
    (
        "users_create",
        "201",
        "enroll",
        "enrollments_students_enroll_create",
        {"student_id": ID},
        None,
    ),
    (
        "users_create",
        "201",
        "workload",
        "instructors_workload_retrieve",
        {"instructor_id": ID},
        None,
    ),
    (
        "enrollments_students_enroll_create",
        "201",
        "get",
        "enrollments_retrieve",
        {"enrollment_id": ID},
        None,
    ),
    (
        "enrollments_students_enroll_create",
        "201",
        "update",
        "enrollments_update",
        {"enrollment_id": ID},
        None,
    ),
    (
        "enrollments_students_enroll_create",
        "201",
        "cancel",
        "enrollments_destroy",
        {"enrollment_id": ID},
        None,
    ),
]


def _with_links(raw: dict) -> dict:
    """A copy of the schema with ``LINKS`` written into the source operations' responses."""
    raw = copy.deepcopy(raw)
    operations = {
        op["operationId"]: op
        for item in raw["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    for source, status, name, target, parameters, body in LINKS:
        link = {"operationId": target}
        if parameters:
            link["parameters"] = parameters
        if body:
            link["requestBody"] = body
        response = operations[source]["responses"][status]
        response.setdefault("links", {})[name] = link
    return raw


@pytest.fixture(scope="module")
def linked_schema(api_schema):
    # Only these links: schemathesis would also infer some of its own from the names of
    # fields, whose random roots (a POST to a random batch id) mostly meet a 404.
    linked = schemathesis.openapi.from_dict(
        _with_links(api_schema.raw_schema),
        config=SchemathesisConfig.from_dict(
            {"phases": {"stateful": {"inference": {"algorithms": []}}}}
        ),
    )
    linked.app = application
    return linked


def _ids_in(value):
    """Every ``_id`` anywhere in a JSON answer."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "_id" and not isinstance(item, (dict, list)):
                yield item
            else:
                yield from _ids_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _ids_in(item)


def test_links_name_real_operations(api_schema, linked_schema):
    """Every link's source, status and target exist, so the state machine sees all of them."""
    operations = {op.ok().definition.raw["operationId"] for op in api_schema.get_all_operations()}
    for source, _status, _, target, _, _ in LINKS:
        assert {source, target} <= operations
    assert linked_schema.statistic.transitions.total == len(LINKS)


# Sequences reset: the scenarios' random ids (a body's courseId 1) meet the world's rows as
# they would in a fresh database, whatever ids the tests before this one used up; otherwise
# which chains get going depends on the order the suite runs in.
@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_stateful_chains_of_linked_calls(admin_token, linked_schema):
    headers = {"Authorization": f"Bearer {admin_token}"}
    # Operations that succeeded on an object whose id an earlier answer of the same scenario
    # gave: a followed link. (A random path id that happens to exist does not count: whether
    # it does depends on the ids earlier tests used up.)
    reached = set()

    class Workflow(linked_schema.as_state_machine()):
        # Each scenario starts from the same world: what it writes is rolled back at its end,
        # so that Hypothesis, replaying a scenario, sees the same answers again.
        def setup(self):
            self.savepoint = transaction.atomic()
            self.savepoint.__enter__()
            self.seen_ids: set[str] = set()

        def teardown(self):
            transaction.set_rollback(True)
            self.savepoint.__exit__(None, None, None)

        def after_call(self, response, case):
            super().after_call(response, case)
            ids = {str(value) for value in (case.path_parameters or {}).values()}
            if ids and response.status_code < 300 and ids <= self.seen_ids:
                reached.add(case.operation.label)
            try:
                body = response.json()
            except ValueError:
                return
            self.seen_ids |= set(map(str, _ids_in(body)))

        def get_call_kwargs(self, case):
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=STATEFUL_CHECKS, headers=headers)

    Workflow.run(
        settings=settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=STATEFUL_STEPS,
            derandomize=not EXPLORE,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    # The links were followed: ids from earlier answers reached operations on those objects.
    assert len(reached) >= 6, reached
