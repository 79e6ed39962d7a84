"""The audit trail on other apps' pages: ``{% load audit_tags %}{% batch_audit batch %}``.

The batch page (an allocation template) shows its latest changes through this tag, so that
allocation's code never imports ``reports`` (apps depend one way; reports sits on top).
The tag's queries do not grow with the batch's history: see ``reports.audit.audit_entries``.
"""

from django import template

from reports import audit

register = template.Library()

# How many of a batch's latest changes its page shows; the full log is one click away.
BATCH_PAGE_ENTRIES = 20


@register.inclusion_tag("reports/_batch_audit.html")
def batch_audit(batch):
    """The batch's latest changes and a link to all of them in the audit log."""
    return {
        "batch": batch,
        "entries": audit.audit_entries(audit.batch_history(batch)[:BATCH_PAGE_ENTRIES]),
        "limit": BATCH_PAGE_ENTRIES,
    }
