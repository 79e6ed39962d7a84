"""The console's lifecycle page (``/console/lifecycle/``, namespace ``lifecycle``): what the
next daily run would change and what the integrity checks find, read-only, with the cron
lines to install; admins may also run today's lifecycle from there."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from accounts.access import admin_required
from core.web import csv_response, wants_csv
from enrollments.selectors import CHECK_TITLES, integrity_findings
from enrollments.services.lifecycle import lifecycle_advance, lifecycle_plan

# Rows of each list the page shows; the CSV has them all.
SHOWN = 50


def cron_lines() -> list[str]:
    python = settings.BASE_DIR / ".venv" / "bin" / "python"
    where = f"cd {settings.BASE_DIR} && {python} manage.py"
    return [
        f"15 2 * * *  {where} advance_lifecycle",
        f"30 2 * * *  {where} check_integrity --fix",
    ]


def _csv_rows(plan, findings):
    for b in plan.to_start:
        yield (
            "Start batch",
            b.batch_code,
            gettext("Upcoming → Active (starts %(start_date)s)")
            % {"start_date": format(b.start_date, "%Y-%m-%d")},
        )
    for b in plan.to_complete:
        yield (
            "Complete batch",
            b.batch_code,
            f"{b.status} → Completed (ended {b.end_date:%Y-%m-%d}); "
            f"{b.active_count} active enrollment(s) complete",
        )
    for e in plan.to_expire:
        yield (
            "Expire enrollment",
            f"{e.student.email} in {e.course.code}",
            f"{e.get_status_display()} → Expired (access ended "
            f"{timezone.localtime(e.access_expiry_date):%Y-%m-%d %H:%M})",
        )
    for f in findings:
        yield (f"Integrity: {f.title}", f.message, f.remedy)


@admin_required
@require_GET
def preview(request):
    """What ``advance_lifecycle`` would change now, and the integrity findings (read-only)."""
    plan = lifecycle_plan()
    findings = integrity_findings()
    if wants_csv(request):
        return csv_response(
            f"lifecycle-{plan.today:%Y-%m-%d}.csv",
            ("Change", "What", "Details"),
            _csv_rows(plan, findings),
        )
    groups = [
        {
            "check": check,
            "title": title,
            "findings": [f for f in findings if f.check == check],
        }
        for check, title in CHECK_TITLES.items()
    ]
    return render(
        request,
        "enrollments/lifecycle_preview.html",
        {
            "plan": plan,
            "groups": groups,
            "finding_count": len(findings),
            "shown": SHOWN,
            "minus_shown": -SHOWN,
            "cron_lines": cron_lines(),
        },
    )


@admin_required
@require_POST
def run(request):
    """Run today's lifecycle now (what the daily command does) and say what it changed."""
    summary = lifecycle_advance()
    text = "; ".join(summary.lines())
    if summary.failures:
        messages.error(request, gettext("Lifecycle run with failures: %(text)s") % {"text": text})
    elif summary.changed:
        messages.success(request, gettext("Lifecycle run: %(text)s") % {"text": text})
    else:
        messages.info(request, gettext("Lifecycle run: nothing to change."))
    return redirect("lifecycle:preview")
