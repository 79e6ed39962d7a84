"""What a student may ask for themselves, and what only an admin may set.

Trusted payments (README, "Payments are trusted from admins only"): a student's own
enrollment — on the website or through the API — never carries a payment (status, amount,
currency, method, transaction id), an enrollment source other than the channel they use
(``website`` or ``api``), a privileged enrollment type (``PRIVILEGED_TYPES``: corporate,
group, scholarship and trial enrollments are granted, not chosen) or a clash override. Such a
request is refused as a whole, naming the fields, rather than stored with the fields dropped:
a client that sends them learns at once that they are not taken. Only an admin (or, later, a
payment integration) records a payment, with ``enrollment_details_update``.
"""

from __future__ import annotations

from core.errors import DomainError
from enrollments.models import EnrollmentSource, EnrollmentType
from enrollments.seats import Payment

PRIVILEGED_TYPES = frozenset(
    {
        EnrollmentType.CORPORATE,
        EnrollmentType.GROUP,
        EnrollmentType.SCHOLARSHIP,
        EnrollmentType.TRIAL,
    }
)
SELF_SOURCES = frozenset({EnrollmentSource.WEBSITE, EnrollmentSource.API})
MSG_ADMIN_ONLY = "Only an admin can set {fields}"


def _payment_given(payment: Payment | None) -> bool:
    return payment is not None and any(
        value not in (None, "")
        for value in (
            payment.amount,
            payment.currency,
            payment.payment_method,
            payment.payment_status,
            payment.transaction_id,
        )
    )


def refuse_admin_only_fields(
    *,
    payment: Payment | None = None,
    enrollment_type: str | None = None,
    enrollment_source: str | None = None,
    allow_clash: bool = False,
) -> None:
    """Refuse (``DomainError``, code ``admin_only``) a student's own request that sets what
    only an admin may set, naming every such field: payment details, a privileged type, a
    source other than website/api, a clash override. Writes and locks nothing."""
    fields = []
    if _payment_given(payment):
        fields.append("paymentDetails")
    if enrollment_type in PRIVILEGED_TYPES:
        fields.append(f'enrollment_type "{enrollment_type}"')
    if enrollment_source is not None and enrollment_source not in SELF_SOURCES:
        fields.append(f'enrollment_source "{enrollment_source}"')
    if allow_clash:
        fields.append("allow_clash")
    if fields:
        raise DomainError(MSG_ADMIN_ONLY.format(fields=", ".join(fields)), code="admin_only")
