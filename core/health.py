"""Probes for a load balancer or an orchestrator: no login, no HTTPS redirect
(``SECURE_REDIRECT_EXEMPT``), no session.

- ``GET /healthz`` (liveness): the process answers. Touches no database, so a database
  outage does not make every app server look dead and get restarted.
- ``GET /readyz`` (readiness): the database answers and every migration on disk is applied;
  otherwise 503 and the balancer sends no traffic here (e.g. new code before ``migrate``).

Both answer JSON, ``{"status": "ok"}`` or ``{"status": "unavailable", "checks": {...}}``,
naming which check failed but no detail (they are public).
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def _migrations_applied() -> bool:
    executor = MigrationExecutor(connection)
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


@never_cache
@require_GET
def readyz(request):
    checks = {"database": "ok", "migrations": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        if not _migrations_applied():
            checks["migrations"] = "unapplied"
    except DatabaseError:
        logger.warning("Readiness probe: the database is unreachable", exc_info=True)
        checks = {"database": "unreachable", "migrations": "unknown"}
    if all(value == "ok" for value in checks.values()):
        return JsonResponse({"status": "ok", "checks": checks})
    return JsonResponse({"status": "unavailable", "checks": checks}, status=503)
