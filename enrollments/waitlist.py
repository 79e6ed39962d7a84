"""Waitlists (being written)."""


def waitlist_promote(*, batch_id: int) -> None:
    return None
