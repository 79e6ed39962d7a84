"""Move batches and enrollments along the calendar; run it once a day, e.g. from cron:

    15 2 * * *  cd /srv/medh && .venv/bin/python manage.py advance_lifecycle

See ``enrollments.services.lifecycle`` for what a run changes. Running it twice changes nothing the
second time.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from enrollments.services.lifecycle import LifecyclePlan, lifecycle_advance, lifecycle_plan


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date must be a date as YYYY-MM-DD, not {value!r}") from None


def plan_lines(plan: LifecyclePlan) -> list[str]:
    """The plan as ``--dry-run`` prints it."""
    moment = timezone.localtime(plan.now)
    lines = [
        f"Lifecycle plan for {plan.today:%Y-%m-%d} "
        f"(access expiry as of {moment:%Y-%m-%d %H:%M %Z}):"
    ]
    lines.append(f"Batches to start (Upcoming → Active): {len(plan.to_start)}")
    lines += [
        f"  {b.batch_code} · {b.batch_name} (starts {b.start_date:%Y-%m-%d})" for b in plan.to_start
    ]
    lines.append(
        f"Batches to complete (→ Completed): {len(plan.to_complete)}, with "
        f"{plan.enrollments_to_complete} active enrollment(s) to complete"
    )
    lines += [
        f"  {b.batch_code} · {b.batch_name} (ended {b.end_date:%Y-%m-%d}, {b.status}; "
        f"{b.active_count} active enrollment(s))"
        for b in plan.to_complete
    ]
    lines.append(f"Enrollments to expire: {len(plan.to_expire)}")
    lines += [
        f"  {e.student.email} in {e.course.code} "
        f"({e.batch.batch_code if e.batch_id else 'individual'}, {e.status}; access ended "
        f"{timezone.localtime(e.access_expiry_date):%Y-%m-%d %H:%M})"
        for e in plan.to_expire
    ]
    return lines


class Command(BaseCommand):
    help = (
        "Start Upcoming batches on their start date, complete batches (and their active "
        "enrollments) after their end date, expire enrollments whose access ended, and notify "
        "the students and primaries concerned. Idempotent; run it daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            type=parse_date,
            default=None,
            help="Run as of the start of this day (YYYY-MM-DD) instead of now.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would change; change nothing."
        )

    def handle(self, *args, date=None, dry_run=False, **options):
        if dry_run:
            plan = lifecycle_plan(date)
            for line in plan_lines(plan):
                self.stdout.write(line)
            self.stdout.write(self.style.WARNING("Dry run: nothing was changed."))
            return
        summary = lifecycle_advance(date)
        self.stdout.write(f"Lifecycle run for {summary.today:%Y-%m-%d}:")
        for line in summary.lines():
            self.stdout.write(line)
        if summary.failures:
            # A non-zero exit, so that cron mails it and monitoring notices.
            raise CommandError(
                f"{len(summary.failures)} step(s) failed; the rest was applied", returncode=1
            )
        if summary.changed:
            self.stdout.write(self.style.SUCCESS("Done."))
        else:
            self.stdout.write(self.style.SUCCESS("Nothing to change."))
