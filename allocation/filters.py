"""Filters of the console lists (django-filter). They narrow querysets that selectors built;
the rules behind each choice (what counts as active, as full) live in the selectors."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext, gettext_lazy

from accounts.models import User
from core import dates
from core.widgets import LongSelect
from trainers.models import TrainerStatus

from . import selectors
from .models import Batch, BatchStatus, Course, RosterRole


def _instructor_label(user: User) -> str:
    return user.display_name


def _yes_no(any_label: str) -> forms.Select:
    """A select for a BooleanFilter: empty (no filtering), yes or no."""
    return forms.Select(
        choices=[("", any_label), ("true", gettext("Yes")), ("false", gettext("No"))]
    )


class TrainerWorkloadFilter(django_filters.FilterSet):
    """Filters the instructors (users) whose workload the dashboard lists."""

    q = django_filters.CharFilter(method="filter_q", label=gettext_lazy("Name or email"))
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"),
        choices=TrainerStatus.choices,
        method="filter_status",
        empty_label=gettext_lazy("Any status"),
    )

    course = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Course roster"),
        queryset=selectors.course_choices(),
        method="filter_roster",
        empty_label=gettext_lazy("Any course"),
        widget=LongSelect,
    )
    role = django_filters.ChoiceFilter(
        label=gettext_lazy("Roster role"),
        choices=RosterRole.choices,
        method="filter_roster",
        empty_label=gettext_lazy("Any role"),
    )

    class Meta:
        model = User
        fields = []

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(full_name__icontains=value) | Q(email__icontains=value))

    def filter_status(self, queryset, name, value):
        return selectors.trainers_with_status(queryset, value)

    def filter_roster(self, queryset, name, value):
        # Course and role narrow one roster entry together ("lead of German A1", not "lead
        # somewhere and on German A1"); applying it for both filters is harmless (a subquery).
        data = self.form.cleaned_data
        return selectors.trainers_on_roster(
            queryset, course=data.get("course"), role=data.get("role") or None
        )


class BatchFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=gettext_lazy("Code or name"))
    course = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Course"),
        queryset=selectors.course_choices(),
        empty_label=gettext_lazy("Any course"),
        widget=LongSelect,
    )
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"),
        choices=BatchStatus.choices,
        empty_label=gettext_lazy("Any status"),
    )
    assigned_instructor = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Instructor"),
        queryset=selectors.instructor_choices(),
        empty_label=gettext_lazy("Any instructor"),
        widget=LongSelect,
    )
    has_free_seats = django_filters.BooleanFilter(
        method="filter_free", label=gettext_lazy("Has free seats"), widget=_yes_no("Any")
    )

    class Meta:
        model = Batch
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["assigned_instructor"].label_from_instance = _instructor_label

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(batch_code__icontains=value) | Q(batch_name__icontains=value))

    def filter_free(self, queryset, name, value):
        return selectors.batches_with_free_seats(queryset, free=value)


class MentorFilter(django_filters.FilterSet):
    """Filters ``selectors.students_with_instructors()``, whose annotations it reads."""

    q = django_filters.CharFilter(method="filter_q", label=gettext_lazy("Student name or email"))
    has_mentor = django_filters.BooleanFilter(
        method="filter_has_mentor", label=gettext_lazy("Has a mentor"), widget=_yes_no("Any")
    )
    instructor = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Instructor"),
        queryset=selectors.instructor_choices(),
        method="filter_instructor",
        empty_label=gettext_lazy("Any instructor"),
        widget=LongSelect,
    )

    class Meta:
        model = User
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["instructor"].label_from_instance = _instructor_label

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(full_name__icontains=value) | Q(email__icontains=value))

    def filter_has_mentor(self, queryset, name, value):
        return queryset.filter(assignment_id__isnull=not value)

    def filter_instructor(self, queryset, name, value):
        return queryset.filter(instructor_id=value.pk)


class CourseFilter(django_filters.FilterSet):
    """Filters the console's course list."""

    q = django_filters.CharFilter(method="filter_q", label=gettext_lazy("Code or title"))

    class Meta:
        model = Course
        fields = ()

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(title__icontains=value))


LEAVE_WHEN_CHOICES = (
    ("current", gettext_lazy("Current")),
    ("upcoming", gettext_lazy("Upcoming")),
    ("past", gettext_lazy("Past")),
)


class LeaveFilter(django_filters.FilterSet):
    """Filters the console's leave list by trainer and by when the leave falls."""

    q = django_filters.CharFilter(method="filter_q", label=gettext_lazy("Trainer name or email"))
    when = django_filters.ChoiceFilter(
        label=gettext_lazy("When"),
        choices=LEAVE_WHEN_CHOICES,
        method="filter_when",
        empty_label=gettext_lazy("Any time"),
    )

    class Meta:
        from trainers.models import TrainerLeave

        model = TrainerLeave
        fields = ()

    def filter_q(self, queryset, name, value):
        return queryset.filter(
            Q(trainer__full_name__icontains=value) | Q(trainer__email__icontains=value)
        )

    def filter_when(self, queryset, name, value):

        today = dates.today()
        if value == "current":
            return queryset.filter(start_date__lte=today, end_date__gte=today)
        if value == "upcoming":
            return queryset.filter(start_date__gt=today)
        return queryset.filter(end_date__lt=today)
