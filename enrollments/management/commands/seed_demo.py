"""Fill the database with the demo data set: two large multi-trainer courses, 800 students.

Lives in the enrollments app because it builds on every app to its left (accounts, trainers,
allocation). The data itself is described in ``enrollments.demo``.
"""

import time

from django.core.management.base import BaseCommand

from enrollments import demo


class Command(BaseCommand):
    help = (
        "Create the demo data set (German A1: 300 students in 12 batches; English B2: 500 "
        "students in 25 batches; their trainers and an admin) and print the demo logins. "
        "Safe to run again: it only creates what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--quiet", action="store_true", help="Print only the logins, not per-course progress."
        )

    def handle(self, *args, quiet=False, **options):
        started = time.monotonic()
        report = demo.seed(progress=None if quiet else self._progress)
        if not quiet:
            self.stdout.write(
                f"{report.users_created} user(s), {report.profiles_created} trainer "
                f"profile(s), {report.assignments_created} mentor assignment(s) and "
                f"{report.sessions_created} mentoring session(s) created, "
                f"{report.staffing_changes} roster/staffing/leave change(s) made, "
                f"{report.holidays_created} holiday(s) added in "
                f"{time.monotonic() - started:.1f}s."
            )
        self.stdout.write(self.style.SUCCESS("Demo logins:"))
        for role, email, password in demo.demo_logins():
            self.stdout.write(f"  {role}: {email} / {password}")
        self.stdout.write(
            f"  Every instructor and student (student001 ... student800@{demo.EMAIL_DOMAIN}) "
            f"uses the password {demo.DEMO_PASSWORD}."
        )

    def _progress(self, course: demo.CourseReport) -> None:
        self.stdout.write(
            f"{course.title} ({course.code}): {course.batches} batches "
            f"({course.batches_created} new), {course.enrollments} active enrollments "
            f"({course.enrollments_created} new)"
        )
