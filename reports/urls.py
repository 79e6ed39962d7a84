"""URLs of the reports app: ``report_patterns`` at ``/console/reports/`` (namespace
``reports``) and ``audit_patterns`` at ``/console/audit/`` (namespace ``audit``); admins only."""

from .audit_views import urlpatterns as audit_patterns
from .report_views import urlpatterns as report_patterns

__all__ = ["audit_patterns", "report_patterns"]
