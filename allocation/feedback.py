"""What the console pages and the Django admin say after a batch is saved: the same words
in both places."""

from allocation.models import Batch


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
