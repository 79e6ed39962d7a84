"""Admin helpers shared by every app: saves go through the services, refusals become errors.

``ServiceAdminMixin`` (on the ModelAdmin) and ``RefusalFormMixin`` (on its form) turn a
service's ``DomainError`` raised while saving into a form error on a re-rendered page, with
everything the request wrote rolled back. ``adopt_saved`` copies the row a service saved
onto the admin's form instance so the admin's log and redirect work.
"""

from __future__ import annotations

from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db import connections

from core.errors import DomainError

# Set on the request when a service refused the first attempt at saving the POST.
REFUSAL_ATTR = "_medh_service_refusal"


class ServiceAdminMixin:
    """Turns a service's refusal at save time into a form error on a re-rendered page.

    Django runs a POST to the add/change view inside ``transaction.atomic``. A DomainError
    raised by the service in ``save_model``/``save_related`` leaves that block, so everything
    the request wrote (the service's rows, the log entry) is rolled back. The view then runs
    once more on the same POST with the refusal attached to the form (``RefusalFormMixin``):
    the form is invalid, so nothing is saved, and the page comes back with status 200 and the
    service's message next to the field it names.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as refusal:
            if request.method != "POST" or hasattr(request, REFUSAL_ATTR):
                raise
            setattr(request, REFUSAL_ATTR, refusal)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        # modelform_factory builds a new class on every call: this never leaks to other requests.
        form.refusal = getattr(request, REFUSAL_ATTR, None)
        return form


def adopt_saved(target, saved) -> None:
    """Copy the row a service saved onto the admin's form instance.

    The admin logs and redirects using the object it built from the form, so that object
    must carry the primary key and generated values (e.g. the batch code) of the saved row.
    """
    for field in type(saved)._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


class RefusalFormMixin:
    """Shows a service's refusal from an earlier attempt of the same POST as a form error.

    ``refusal`` is set on the form class by ``ServiceAdminMixin.get_form`` when the service
    refused at save time; the message lands on the field it names, or on the form.
    """

    refusal: DomainError | None = None

    def full_clean(self):
        super().full_clean()
        if self.is_bound and self.refusal is not None:
            field = self.refusal.field if self.refusal.field in self.fields else None
            self.add_error(field, ValidationError(self.refusal.message, code=self.refusal.code))


class KeySafeAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget, minus its 500 on a value that is no key.

    To re-render a bound form, Django filters the related table with the submitted value; a
    non-numeric one ("abc", hostile or mistyped) raises ValueError there, and one beyond the
    column's range an OverflowError. Such values are left out of the rendering: the field's
    own validation already reports them as an error.
    """

    def optgroups(self, name, value, attr=None):
        key = self.field.target_field  # the related model's key column
        database = connections[self.db or self.choices.queryset.db]
        low, high = database.ops.integer_field_range(key.get_internal_type())
        usable = []
        for item in value:
            try:
                number = key.to_python(item)
            except ValidationError:
                continue
            if isinstance(number, int) and not (
                (low is None or number >= low) and (high is None or number <= high)
            ):
                continue
            usable.append(item)
        return super().optgroups(name, usable, attr)


class KeySafeAutocompleteMixin:
    """On a ModelAdmin: its ``autocomplete_fields`` use ``KeySafeAutocompleteSelect``."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KeySafeAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
