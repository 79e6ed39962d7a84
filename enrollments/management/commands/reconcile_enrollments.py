"""Recount every batch's enrolled-students counter from its active enrollments."""

from django.core.management.base import BaseCommand

from enrollments.services import enrollment_counters_reconcile


class Command(BaseCommand):
    help = (
        "Recount each batch's enrolled_students from its active enrollments, report the "
        "batches whose counter was wrong and fix them (unless --dry-run)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only report mismatches; change nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        mismatches = enrollment_counters_reconcile(dry_run=dry_run)
        if not mismatches:
            self.stdout.write(self.style.SUCCESS("All batch counters match their enrollments."))
            return
        for m in mismatches:
            if dry_run:
                outcome = "would fix" if m.fixable else "cannot fix"
            else:
                outcome = "fixed" if m.fixed else "NOT fixed"
            line = f"{m.batch_code}: counter {m.stored}, active enrollments {m.actual} — {outcome}"
            if not m.fixable:
                line += f" (more active enrollments than its capacity of {m.capacity})"
            self.stdout.write(line)
        if dry_run:
            fixable = sum(1 for m in mismatches if m.fixable)
            summary = f"{len(mismatches)} mismatch(es) found, {fixable} fixable."
        else:
            fixed = sum(1 for m in mismatches if m.fixed)
            summary = f"{len(mismatches)} mismatch(es) found, {fixed} repaired."
        self.stdout.write(self.style.WARNING(summary))
