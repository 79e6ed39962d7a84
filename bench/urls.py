"""The site's URLs plus the benchmark-only endpoints, mounted under ``/bench/``.

Only ``bench.settings`` uses this module: the baseline endpoints never exist in the app.
"""

from django.urls import path

from medh.urls import urlpatterns as site_patterns

from . import baseline

urlpatterns = [
    path(
        "bench/baseline/students/<int:student_id>/enroll",
        baseline.enroll,
        name="bench-baseline-enroll",
    ),
    *site_patterns,
]
