"""Form helpers shared by the pages of every app."""

from core.errors import DomainError


class DomainErrorFormMixin:
    """Shows a service's refusal (``DomainError``) on the form that caused it: on the field
    it names when the form has that field, above the form otherwise."""

    # Service field names that this form calls differently, e.g. the batch's
    # ``assigned_instructor`` is a form's ``instructor``.
    field_aliases: dict[str, str] = {}

    def add_domain_error(self, exc: DomainError) -> None:
        field = self.field_aliases.get(exc.field, exc.field)
        self.add_error(field if field in self.fields else None, exc.message)
