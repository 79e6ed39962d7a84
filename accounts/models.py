"""The custom user: email login, a full name and any combination of roles.

Roles are stored as one boolean column each. That keeps "users with the instructor role" an
indexed equality filter on SQLite and PostgreSQL alike, and a user may hold several roles (an
instructor who is also an admin). The admin role is Django's ``is_staff``, because that is
what grants the admin console and the Django admin.
"""

import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from core.timezones import default_time_zone, validate_time_zone


class Role(models.TextChoices):
    ADMIN = "admin", gettext_lazy("Admin")
    INSTRUCTOR = "instructor", gettext_lazy("Instructor")
    STUDENT = "student", gettext_lazy("Student")
    CORPORATE_STUDENT = "corporate_student", gettext_lazy("Corporate student")


# The column that stores each role.
ROLE_FIELDS = {
    Role.ADMIN: "is_staff",
    Role.INSTRUCTOR: "is_instructor",
    Role.STUDENT: "is_student",
    Role.CORPORATE_STUDENT: "is_corporate_student",
}


def new_feed_token() -> str:
    """A fresh calendar-feed token: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def language_codes() -> list[str]:
    """The codes of the languages a user may pick (``settings.LANGUAGES``)."""
    return [code for code, _name in settings.LANGUAGES]


def default_language() -> str:
    """The platform's language (``LANGUAGE_CODE``, "en-us" → "en"): every user's default."""
    code = settings.LANGUAGE_CODE.lower()
    codes = language_codes()
    if code in codes:
        return code
    base = code.split("-")[0]
    return base if base in codes else codes[0]


# A learner of either kind (``UserQuerySet.students``).
LEARNER = models.Q(is_student=True) | models.Q(is_corporate_student=True)


class UserQuerySet(models.QuerySet):
    def with_role(self, role: str):
        return self.filter(**{ROLE_FIELDS[Role(role)]: True})

    def instructors(self):
        return self.filter(is_instructor=True, is_active=True)

    def students(self):
        """Learners of either kind: the roles that may be enrolled or mentored."""
        return self.filter(LEARNER)

    def non_students(self):
        """Everyone else (staff, instructors): few next to the students, so "a row of a
        student" is cheapest asked as "not a row of one of these"."""
        return self.exclude(LEARNER)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def create_user(self, email, password=None, *, roles=(), **extra):
        if not email:
            raise ValueError("An email address is required")
        for role in roles:
            extra[ROLE_FIELDS[Role(role)]] = True
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, email):
        # Emails are stored lower-cased, so "Admin@Medh.local" logs in as admin@medh.local.
        return self.get(email=(email or "").strip().lower())

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150)
    is_staff = models.BooleanField(
        "admin", default=False, help_text=gettext_lazy("Admin role: may use the admin console.")
    )
    is_instructor = models.BooleanField("instructor", default=False, db_index=True)
    is_student = models.BooleanField("student", default=False, db_index=True)
    is_corporate_student = models.BooleanField("corporate student", default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # The secret in the user's calendar-feed URLs (/feeds/.../<token>.ics), which calendar
    # apps fetch without logging in. Resetting it turns the old URLs into 404s.
    feed_token = models.CharField(
        max_length=43, unique=True, default=new_feed_token, editable=False
    )
    # The IANA zone the user sees times in (sessions, notifications, feeds).
    time_zone = models.CharField(
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text=gettext_lazy("IANA time zone, e.g. Asia/Kolkata. Times are shown in it."),
    )
    # The language of the user's pages, emails, inbox and calendar feed (not of the API,
    # which answers in the Accept-Language of each request).
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=default_language,
        help_text=_("Pages, emails and your calendar feed are in this language."),
    )
    # When the last invitation email was queued (accounts.services.user_invite); empty for
    # a user never invited. With last_login empty: invited, not signed in yet.
    last_invited_at = models.DateTimeField(_("last invited"), null=True, blank=True)
    # The notification events (accounts.preferences.EMAIL_EVENTS) the user wants no email
    # for. The inbox gets them all the same; the outbox worker skips the email.
    email_off = models.JSONField(
        _("no email for"),
        default=list,
        blank=True,
        help_text=_("Kinds of notification that reach the inbox only, without an email."),
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        indexes = [
            # Every people list (users, mentors, rosters) is in this order: a page is read off
            # the index instead of sorting all 100,000 users (bench/dashboards.py).
            models.Index(fields=["full_name", "email", "id"], name="user_by_name"),
            # The learners (UserQuerySet.students): counting them reads this small index
            # instead of every user row. Its key takes two values, so PostgreSQL stores each
            # once with its rows (deduplication): a third of the pages an index of the ids
            # takes, and the count of 100,000 students is 3 ms instead of 5.
            models.Index(fields=["is_student"], condition=LEARNER, name="user_learners"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(language__in=[code for code, _name in settings.LANGUAGES]),
                name="user_language_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>" if self.full_name else self.email

    def save(self, *args, **kwargs):
        # Emails are the login: store them in one case so "A@x.org" and "a@x.org" collide.
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        """How pages, emails and exports name the user: the full name, else the email."""
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        # The whole name: a name's first word is no short name ("Dr.", "van", a family name
        # written first), so greetings ("Hello Dr. Mira Rao,") use the name as written.
        return self.display_name

    def has_role(self, role: str) -> bool:
        return bool(getattr(self, ROLE_FIELDS[Role(role)]))

    @property
    def roles(self) -> list[str]:
        """The roles as the original API lists them, e.g. ``["instructor"]``."""
        return [role.value for role, field in ROLE_FIELDS.items() if getattr(self, field)]

    @property
    def is_learner(self) -> bool:
        return self.is_student or self.is_corporate_student

    @property
    def never_signed_in(self) -> bool:
        """Never signed in (an imported or invited account): may be invited (again)."""
        return self.last_login is None

    def wants_email(self, event: str) -> bool:
        """Whether a notification of ``event`` is emailed to the user, or only in the inbox."""
        return event not in (self.email_off or ())
