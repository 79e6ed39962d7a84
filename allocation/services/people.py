"""A user's name and roles, changed by an admin (``PUT /api/users/:id``).

It lives in allocation, not accounts, because whether the instructor role may be taken away
depends on what the user teaches: batches and mentees are allocation's.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext, gettext_noop

from accounts.models import ROLE_FIELDS, Role, User
from allocation.models import OPEN_BATCH_STATUSES, BatchTrainer, IndividualAssignment
from core.errors import DomainError, full_clean_or_refuse
from trainers.services import trainers_lock

MSG_OWN_ADMIN = gettext_noop("You cannot remove your own admin role")


def teaching_places(user: User) -> list[str]:
    """Where ``user`` teaches now: their current roles on Active/Upcoming batches ("GER-A1-01
    (primary)") and their active individual assignments ("mentor of Jane Doe")."""
    rows = (
        BatchTrainer.objects.filter(
            trainer=user, ended_at__isnull=True, batch__status__in=OPEN_BATCH_STATUSES
        )
        .select_related("batch")
        .order_by("batch__batch_code", "pk")
    )
    places = [f"{row.batch.batch_code} ({row.get_role_display().lower()})" for row in rows]
    mentees = (
        IndividualAssignment.objects.filter(instructor=user, ended_at__isnull=True)
        .select_related("student")
        .order_by("student__full_name", "pk")
    )
    places += [f"{a.get_assignment_type_display().lower()} of {a.student}" for a in mentees]
    return places


@transaction.atomic
def user_update(
    *, user: User, by: User, full_name: str | None = None, roles: Iterable[str] | None = None
) -> User:
    """Change a user's full name and/or role flags (``roles``: every role they keep).

    Locks the user's trainer profile (the lock every staffing service takes before it gives a
    trainer a batch or a mentee), so the role cannot be taken away while a batch is being
    given. Refuses: an admin removing their own admin role; removing the instructor role from
    someone who still teaches (the message lists where); no role at all.
    """
    trainers_lock(user)
    user = User.objects.select_for_update(of=("self",)).get(pk=user.pk)
    fields: list[str] = []
    if full_name is not None:
        user.full_name = full_name.strip()
        fields.append("full_name")
    if roles is not None:
        wanted = {Role(role) for role in roles}
        if not wanted:
            raise DomainError(gettext("A user needs at least one role"), field="role")
        if user.pk == by.pk and user.is_staff and Role.ADMIN not in wanted:
            raise DomainError(MSG_OWN_ADMIN, field="role")
        if user.is_instructor and Role.INSTRUCTOR not in wanted:
            places = teaching_places(user)
            if places:
                raise DomainError(
                    gettext(
                        "%(user)s still teaches: %(items)s. Hand these over before removing "
                        "the instructor role"
                    )
                    % {"user": user.display_name, "items": ", ".join(places)},
                    field="role",
                )
        for role, field in ROLE_FIELDS.items():
            setattr(user, field, role in wanted)
            fields.append(field)
    if fields:
        full_clean_or_refuse(user, exclude=["password"])
        user.save(update_fields=fields)
    return user
