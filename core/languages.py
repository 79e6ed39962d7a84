"""The languages people teach and learn in: a fixed list of ISO 639-1 codes with their names.

Stored as lists of codes (JSON), which SQLite and PostgreSQL both hold; the names are shown.
The list is the languages the platform's courses and people use; add a code here (with its
English name) to offer another.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

LANGUAGES: dict[str, str] = {
    "ar": _("Arabic"),
    "bn": _("Bengali"),
    "de": _("German"),
    "en": _("English"),
    "es": _("Spanish"),
    "fa": _("Persian"),
    "fr": _("French"),
    "gu": _("Gujarati"),
    "hi": _("Hindi"),
    "it": _("Italian"),
    "ja": _("Japanese"),
    "kn": _("Kannada"),
    "ko": _("Korean"),
    "ml": _("Malayalam"),
    "mr": _("Marathi"),
    "nl": _("Dutch"),
    "pa": _("Punjabi"),
    "pl": _("Polish"),
    "pt": _("Portuguese"),
    "ru": _("Russian"),
    "sv": _("Swedish"),
    "ta": _("Tamil"),
    "te": _("Telugu"),
    "tr": _("Turkish"),
    "uk": _("Ukrainian"),
    "ur": _("Urdu"),
    "vi": _("Vietnamese"),
    "zh": _("Chinese"),
}

LANGUAGE_CHOICES = sorted(LANGUAGES.items(), key=lambda item: str(item[1]))


def language_name(code: str) -> str:
    return str(LANGUAGES.get(code, code))


def validate_language_codes(value: object) -> None:
    """Model validator: a list of distinct known ISO 639-1 codes."""
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise ValidationError(_("Languages must be a list of language codes"), code="not_a_list")
    unknown = [c for c in value if c not in LANGUAGES]
    if unknown:
        raise ValidationError(
            _("Unknown language code: %(code)s"),
            code="unknown_language",
            params={"code": unknown[0]},
        )
    if len(set(value)) != len(value):
        raise ValidationError(_("A language is listed twice"), code="duplicate_language")


def languages_form_field(**kwargs):
    """A form field for a list of language codes: checkboxes-like multiple choice, by name."""
    from django import forms

    kwargs.setdefault("required", False)
    kwargs.setdefault("label", _("Languages"))
    return forms.MultipleChoiceField(
        choices=LANGUAGE_CHOICES, widget=forms.SelectMultiple(attrs={"size": 6}), **kwargs
    )
