"""Check the data for drift the services cannot have caused; ``--fix`` repairs what is safe.

Exits 1 while problems remain (so cron mails it and monitoring notices), 0 when clean. Run it
after ``advance_lifecycle``, e.g.:

    30 2 * * *  cd /srv/medh && .venv/bin/python manage.py check_integrity --fix
"""

from django.core.management.base import BaseCommand, CommandError

from enrollments.selectors import CHECK_TITLES, Finding, integrity_findings
from enrollments.services import integrity_fix


class Command(BaseCommand):
    help = (
        "Report mentoring/staffing assignments held by users who are no longer active "
        "instructors, batches whose primary is missing from their staffing, active enrollments "
        "in Completed/Cancelled batches and wrong seat counters. --fix repairs what is safe; "
        "the rest is for a person to decide. Exit code 1 while problems remain."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fix", action="store_true", help="Repair what is safe, then check again."
        )

    def write_findings(self, findings: list[Finding]) -> None:
        for check, title in CHECK_TITLES.items():
            of_check = [f for f in findings if f.check == check]
            if not of_check:
                continue
            self.stdout.write(f"{title} ({len(of_check)}):")
            for finding in of_check:
                self.stdout.write(f"  - {finding.message}")
                self.stdout.write(f"    {finding.remedy}")

    def handle(self, *args, fix=False, **options):
        if fix:
            run = integrity_fix()
            remaining = run.after
            if run.fixed:
                self.stdout.write(self.style.SUCCESS(f"Fixed {len(run.fixed)} problem(s):"))
                for finding in run.fixed:
                    self.stdout.write(f"  - {finding.message}")
            for error in run.errors:
                self.stdout.write(self.style.ERROR(f"Could not fix: {error}"))
        else:
            remaining = integrity_findings()
        if not remaining:
            self.stdout.write(self.style.SUCCESS("No integrity problems found."))
            return
        self.write_findings(remaining)
        unfixable = sum(1 for f in remaining if not f.fixable)
        note = f"{len(remaining)} problem(s) remain"
        if unfixable:
            note += f"; {unfixable} need a person to decide (not fixed automatically)"
        if not fix and unfixable < len(remaining):
            note += "; run with --fix to repair the others"
        raise CommandError(note, returncode=1)
