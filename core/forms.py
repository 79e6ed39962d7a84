"""Form helpers shared by the pages of every app."""

from django import forms
from django.core.exceptions import ValidationError

from core.errors import DomainError
from core.ids import parse_id


class DomainErrorFormMixin:
    """Shows a service's refusal (``DomainError``) on the form that caused it: on the field
    it names when the form has that field, above the form otherwise."""

    # Service field names that this form calls differently, e.g. the batch's
    # ``assigned_instructor`` is a form's ``instructor``.
    field_aliases: dict[str, str] = {}

    def add_domain_error(self, exc: DomainError) -> None:
        field = self.field_aliases.get(exc.field, exc.field)
        self.add_error(field if field in self.fields else None, exc.message)


class KeySafeModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's multiple choice of rows, minus its 500 on a value that is no key: a value
    past a 64-bit column ("1" and thirty zeros) overflows SQLite's integer before Django's
    ``ValueError`` guard sees it. Such a value is an invalid choice, like any unknown id."""

    def _check_values(self, value):
        for pk in value:
            if parse_id(pk) is None:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)
