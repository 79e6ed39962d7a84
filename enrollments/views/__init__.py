"""Pages of enrollments, by area; ``enrollments.urls`` mounts them all.

- ``student``: the student's schedule; ``catalogue``: their courses, open batches and
  self-service actions; ``requests``: the console's page of requests to decide;
- ``enrollments``: the console's enrollment list, enroll, cancel, transfer;
- ``feeds``: the calendar feeds and their reset;
- ``waitlists``, ``imports``, ``lifecycle``: the console's waitlist, bulk import and lifecycle
  pages.

Each view checks access with a decorator, fetches what it works on, parses a form and calls
one service or selector; a service's refusal (``DomainError``) is shown on the form or as a
message. The rules themselves live in ``enrollments.services`` and ``enrollments.selectors``.
"""
