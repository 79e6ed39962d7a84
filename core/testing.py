"""Test support: run one callable from many real threads at the same moment.

Each thread uses its own database connection and closes it when done (Django opens one per
thread). A barrier releases all threads together so their transactions truly overlap; a
semaphore caps how many hold a connection at once, like a bounded app-server pool, so the
test stays under PostgreSQL's ``max_connections`` however many threads it starts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from core.errors import DomainError


@dataclass
class Outcome:
    ok: bool
    value: Any = None
    message: str = ""
    error: BaseException | None = None  # anything other than a clean DomainError refusal


def race(
    func: Callable[..., Any], calls: Sequence[dict], *, max_connections: int = 30
) -> list[Outcome]:
    """Call ``func(**kwargs)`` once per entry of ``calls``, each in its own thread, together."""
    outcomes: list[Outcome | None] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))
    pool = threading.BoundedSemaphore(max_connections)

    def worker(index: int, kwargs: dict) -> None:
        try:
            barrier.wait(timeout=60)
            with pool:
                try:
                    outcomes[index] = Outcome(ok=True, value=func(**kwargs))
                except DomainError as exc:
                    outcomes[index] = Outcome(ok=False, message=exc.message)
                except Exception as exc:  # recorded, so the test can show what went wrong
                    outcomes[index] = Outcome(ok=False, message=repr(exc), error=exc)
                finally:
                    connection.close()
        except threading.BrokenBarrierError as exc:
            outcomes[index] = Outcome(ok=False, message="barrier broken", error=exc)

    threads = [
        threading.Thread(target=worker, args=(i, kwargs), daemon=True)
        for i, kwargs in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a racing thread did not finish in 120 s"
    return [o for o in outcomes if o is not None]
