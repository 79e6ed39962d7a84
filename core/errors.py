"""The one exception every service raises when it refuses an operation.

Pages turn it into a form error, the admin into an inline error, the API into
``{"success": false, "message": ...}`` with status 400. ``field`` names the input at fault
when there is one, so forms can attach the message to it.
"""

from django.utils.translation import gettext


class DomainError(Exception):
    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        # A message marked with gettext_noop (a module's MSG_* constant) is translated here,
        # into the language active for the request; one already translated passes unchanged.
        message = gettext(str(message)) if message else message
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code

    def __str__(self) -> str:
        return self.message


def full_clean_or_refuse(instance, **kwargs) -> None:
    """Run ``instance.full_clean()`` and turn its first complaint into a DomainError.

    Services call this before ``save()`` so a value the model refuses becomes a clear message
    rather than an IntegrityError from the database.
    """
    from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

    try:
        instance.full_clean(**kwargs)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            raise DomainError(
                messages[0], field=None if field == NON_FIELD_ERRORS else field
            ) from exc
        raise DomainError(str(exc)) from exc
