"""The audit and report tests read what ``batch_create`` records (history rows of the batch,
its slots, staffing and roster): their ``make_batch`` is the service (tests/support)."""

import pytest


@pytest.fixture
def make_batch(create_batch):
    return create_batch
