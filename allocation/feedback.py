"""What the console pages and the Django admin say after a batch is saved: the same words
in both places."""

from allocation.models import Batch
from core.timezones import zone

# How many kept sessions a message names before "and N more".
KEPT_SHOWN = 5


def saved_message(batch: Batch) -> str:
    """The message of a saved batch ("Batch X saved."), naming the students who took the
    seats a raised capacity added (``batch_update``'s ``seats_filled_by``)."""
    message = f"Batch {batch.batch_code} saved."
    promoted = getattr(batch, "seats_filled_by", [])
    if promoted:
        names = ", ".join(student.display_name for student in promoted)
        message += (
            f" {len(promoted)} student{'s' if len(promoted) != 1 else ''} moved up from the "
            f"waitlist into the new seats: {names}."
        )
    return message


def no_slots_warning(batch: Batch) -> str:
    """What a save of a batch without weekly slots says (the console and the admin)."""
    return (
        f"Batch {batch.batch_code} has no weekly slots: it has no classes and its students "
        "see no timetable until you add them."
    )


def kept_sessions_warning(batch: Batch) -> str | None:
    """What a save says when regeneration kept held sessions edited by hand that the new
    slots or dates no longer make (``batch_update``'s ``sessions_kept``); None otherwise."""
    kept = sorted(getattr(batch, "sessions_kept", []), key=lambda session: session.start_at)
    if not kept:
        return None
    tz = zone(batch.time_zone)
    named = ", ".join(f"{s.start_at.astimezone(tz):%a %Y-%m-%d %H:%M}" for s in kept[:KEPT_SHOWN])
    more = f" and {len(kept) - KEPT_SHOWN} more" if len(kept) > KEPT_SHOWN else ""
    if len(kept) == 1:
        return (
            f"1 session edited by hand no longer matches the weekly slots and dates and was "
            f"kept as it is: {named} ({batch.time_zone}). Cancel or move it on the batch's "
            "calendar if it should not take place."
        )
    return (
        f"{len(kept)} sessions edited by hand no longer match the weekly slots and dates and "
        f"were kept as they are: {named}{more} ({batch.time_zone}). Cancel or move them on the "
        "batch's calendar if they should not take place."
    )
