"""Every write of enrollments, by sub-domain, each module building on the ones below it:

- ``enrollments.seats`` (below this package): lock batches, take and free seats, insert an
  enrollment, refuse a second active one;
- ``waitlist``: join, reorder, remove, and promotion when a seat frees;
- ``placement``: an enrollment in the open batch that suits the student;
- ``enrollment``: create, change status, cancel, transfer, update (a freed seat goes to the
  waitlist);
- ``auto_batches``: a new batch when demand outgrows the course's batches;
- ``imports``: the CSV bulk import;
- ``self_service``: what a student does for themselves within the course's policy, requests
  an admin decides, and the fields only an admin sets;
- ``lifecycle``: the daily run that starts, completes and expires;
- ``integrity``: the repairs of ``check_integrity`` and ``reconcile_enrollments``.

The modules import each other by full path, never through this package, which only re-exports
the public names (``from enrollments.services import enrollment_create``).
"""

from enrollments.seats import (
    ACCESS_AFTER_BATCH_END,
    MSG_ALREADY_ENROLLED,
    MSG_FULL,
    NOT_FOUND,
    Payment,
)
from enrollments.services.auto_batches import batch_auto_create
from enrollments.services.enrollment import (
    enrollment_cancel,
    enrollment_create,
    enrollment_details_update,
    enrollment_set_status,
    enrollment_transfer,
    enrollment_update,
)
from enrollments.services.imports import (
    import_apply,
    import_crashed,
    import_create,
    import_parse,
    import_start,
)
from enrollments.services.integrity import (
    CounterMismatch,
    enrollment_counters_reconcile,
    integrity_fix,
)
from enrollments.services.lifecycle import lifecycle_advance
from enrollments.services.placement import enrollment_place
from enrollments.services.self_service import (
    enrollment_request_create,
    enrollment_request_decide,
    enrollment_request_withdraw,
    policy_refusal,
    refuse_admin_only_fields,
    self_cancel,
    self_enroll,
    self_waitlist_join,
    self_waitlist_leave,
    transfer_request_create,
)
from enrollments.services.waitlist import (
    MSG_ALREADY_WAITING,
    MSG_NOT_WAITING,
    waitlist_join,
    waitlist_move,
    waitlist_promote,
    waitlist_remove,
    waitlist_reorder,
)

__all__ = [
    "ACCESS_AFTER_BATCH_END",
    "MSG_ALREADY_ENROLLED",
    "MSG_ALREADY_WAITING",
    "MSG_FULL",
    "MSG_NOT_WAITING",
    "NOT_FOUND",
    "CounterMismatch",
    "Payment",
    "batch_auto_create",
    "enrollment_cancel",
    "enrollment_counters_reconcile",
    "enrollment_create",
    "enrollment_details_update",
    "enrollment_place",
    "enrollment_request_create",
    "enrollment_request_decide",
    "enrollment_request_withdraw",
    "enrollment_set_status",
    "enrollment_transfer",
    "enrollment_update",
    "import_apply",
    "import_create",
    "import_crashed",
    "import_parse",
    "import_start",
    "integrity_fix",
    "lifecycle_advance",
    "policy_refusal",
    "refuse_admin_only_fields",
    "self_cancel",
    "self_enroll",
    "self_waitlist_join",
    "self_waitlist_leave",
    "transfer_request_create",
    "waitlist_join",
    "waitlist_move",
    "waitlist_promote",
    "waitlist_remove",
    "waitlist_reorder",
]
