"""Write the reminders of the 1:1 mentoring sessions that start within
``MENTORING_REMINDER_HOURS``; run it every few minutes, e.g. from cron:

    */10 * * * *  cd /srv/medh && .venv/bin/python manage.py send_mentoring_reminders

Each booking is reminded once per booking time (``mentoring_reminders_send``); running it
again, or twice at once, writes nothing more. The outbox worker sends the emails.
"""

from django.core.management.base import BaseCommand

from allocation.services.mentor_bookings import mentoring_reminders_send


class Command(BaseCommand):
    help = (
        "Remind both sides of every booked 1:1 session starting within "
        "MENTORING_REMINDER_HOURS, once per booking. Idempotent; run it every few minutes."
    )

    def handle(self, *args, **options):
        sent = mentoring_reminders_send()
        self.stdout.write(f"{sent} 1:1 session reminder(s) written.")
