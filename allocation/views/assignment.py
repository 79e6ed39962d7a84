"""Pages of the optimal trainer assignment and workload balancing (``allocation.assignment``).

Mounted at ``/console/assignment/`` in the ``assignment`` namespace
(``allocation.urls.assignment_patterns``), admins only:

- ``preview``: GET shows the solver's staffing of the unstaffed positions of one course or all
  (rows batch → trainer, each trainer's load before/after against their target, what stays
  unassignable and why, whether the solution is proven optimal); ``?format=csv`` downloads the
  rows. POST applies the rows posted back from that page, re-checked by
  ``assignment_apply`` in one transaction.
- ``balance``: GET shows the fewest moves of primaries that bring every trainer within a
  tolerance of their target; POST applies one move or all of them.

Refusals become messages; bad input (junk rows, a negative tolerance) is shown as form errors
with status 200.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.access import admin_required
from allocation import assignment
from allocation.assignment import DEFAULT_TIME_LIMIT, MAX_TIME_LIMIT, AssignmentRow
from allocation.models import Course
from core.errors import DomainError
from core.forms import DomainErrorFormMixin
from core.web import csv_response, wants_csv
from core.widgets import LongSelect

DEFAULT_TOLERANCE_HOURS = Decimal("2")


class QueryForm(DomainErrorFormMixin, forms.Form):
    """Which course (or all) and how long the solver may search."""

    course = forms.ModelChoiceField(
        queryset=Course.objects.order_by("title", "code"),
        required=False,
        empty_label=gettext_lazy("All courses"),
        widget=LongSelect,
    )
    time_limit = forms.IntegerField(
        label=gettext_lazy("Time limit (seconds)"),
        min_value=1,
        max_value=int(MAX_TIME_LIMIT),
        required=False,
        initial=int(DEFAULT_TIME_LIMIT),
    )

    def query(self) -> dict:
        """The cleaned values as they go back into a URL (empty ones left out)."""
        data = self.cleaned_data
        query = {}
        if data.get("course") is not None:
            query["course"] = data["course"].pk
        for name in ("time_limit", "tolerance"):
            if data.get(name) is not None:
                query[name] = data[name]
        return query

    @property
    def seconds(self) -> float:
        return float(self.cleaned_data.get("time_limit") or DEFAULT_TIME_LIMIT)


class BalanceQueryForm(QueryForm):
    tolerance = forms.DecimalField(
        label=gettext_lazy("Tolerance (hours a week)"),
        min_value=Decimal("0"),
        max_value=Decimal("168"),
        decimal_places=2,
        required=False,
        initial=DEFAULT_TOLERANCE_HOURS,
    )

    @property
    def tolerance_minutes(self) -> int:
        hours = self.cleaned_data.get("tolerance")
        return round((DEFAULT_TOLERANCE_HOURS if hours is None else hours) * 60)


class RowsField(forms.Field):
    """Proposal rows posted back as hidden ``batch:role:trainer:previous`` tokens."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        rows = []
        for token in value:
            try:
                rows.append(AssignmentRow.parse(str(token)))
            except ValueError as exc:
                raise forms.ValidationError(
                    gettext("The proposal's rows were damaged; preview again")
                ) from exc
        return rows

    def validate(self, value):
        if self.required and not value:
            raise forms.ValidationError(gettext("There is nothing to apply"), code="required")


class ApplyForm(QueryForm):
    rows = RowsField()


class BalanceApplyForm(BalanceQueryForm):
    rows = RowsField()
    action = forms.ChoiceField(
        choices=[("one", gettext_lazy("Apply this move")), ("all", gettext_lazy("Apply all"))]
    )

    def clean(self):
        data = super().clean()
        if data.get("action") == "one" and len(data.get("rows") or []) != 1:
            raise forms.ValidationError(gettext("Apply one move at a time"))
        return data


def _query_form(form_class, request):
    # The first visit has no query: solve with the defaults.
    return form_class(request.GET if request.GET.keys() - {"format"} else {})


def _back(url_name: str, form: QueryForm):
    query = form.query() if form.is_valid() else {}
    url = reverse(url_name)
    return redirect(f"{url}?{urlencode(query)}" if query else url)


CSV_HEADER = [
    "Batch",
    "Batch name",
    "Course",
    "Role",
    "Trainer",
    "Email",
    "Hours a week",
    "From",
]


def _csv(filename: str, proposal) -> object:
    rows = (
        [
            r.batch.batch_code,
            r.batch.batch_name,
            r.batch.course.code,
            r.role,
            r.trainer.display_name,
            r.trainer.email,
            r.hours,
            "" if r.previous is None else r.previous.display_name,
        ]
        for r in proposal.rows
    )
    return csv_response(filename, CSV_HEADER, rows)


@admin_required
@require_http_methods(["GET", "POST"])
def preview(request):
    """The solver's staffing of unstaffed positions, and applying it."""
    apply_form = None
    proposal = None
    if request.method == "POST":
        apply_form = ApplyForm(request.POST)
        if apply_form.is_valid():
            try:
                applied = assignment.assignment_apply(
                    proposal_rows=apply_form.cleaned_data["rows"], applied_by=request.user
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request, gettext("Applied %(applied)s assignment(s).") % {"applied": applied}
                )
            return _back("assignment:preview", apply_form)
        form = QueryForm(request.POST)
    else:
        form = _query_form(QueryForm, request)
        if form.is_valid():
            try:
                proposal = assignment.assignment_propose(
                    form.cleaned_data.get("course"), time_limit=form.seconds
                )
            except DomainError as exc:
                form.add_domain_error(exc)
            else:
                if wants_csv(request):
                    return _csv("trainer-assignment.csv", proposal)
    return render(
        request,
        "allocation/assignment_preview.html",
        {"form": form, "apply_form": apply_form, "proposal": proposal},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def balance(request):
    """The fewest moves of primaries within a tolerance of every target; apply one or all."""
    apply_form = None
    proposal = None
    if request.method == "POST":
        apply_form = BalanceApplyForm(request.POST)
        if apply_form.is_valid():
            rows = apply_form.cleaned_data["rows"]
            try:
                if apply_form.cleaned_data["action"] == "one":
                    applied = assignment.balance_apply_move(move=rows[0], applied_by=request.user)
                else:
                    applied = assignment.balance_apply(moves=rows, applied_by=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request, gettext("Applied %(applied)s move(s).") % {"applied": applied}
                )
            return _back("assignment:balance", apply_form)
        form = BalanceQueryForm(request.POST)
    else:
        form = _query_form(BalanceQueryForm, request)
        if form.is_valid():
            try:
                proposal = assignment.balance_propose(
                    form.cleaned_data.get("course"),
                    tolerance_minutes=form.tolerance_minutes,
                    time_limit=form.seconds,
                )
            except DomainError as exc:
                form.add_domain_error(exc)
            else:
                if wants_csv(request):
                    return _csv("workload-balancing.csv", proposal)
    return render(
        request,
        "allocation/assignment_balance.html",
        {"form": form, "apply_form": apply_form, "proposal": proposal},
    )
