"""The feedback forms: a batch's answer (the batch and each of its trainers) and a mentoring
session's rating. Parsing only; the rules are the services'."""

from __future__ import annotations

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DomainErrorFormMixin

from .models import COMMENT_MAX_LENGTH, MAX_RATING, MIN_RATING

RATING_CHOICES = [(n, str(n)) for n in range(MAX_RATING, MIN_RATING - 1, -1)]


def rating_field(label) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, choices=RATING_CHOICES, coerce=int, widget=forms.RadioSelect
    )


def comment_field(label=None) -> forms.CharField:
    return forms.CharField(
        label=label or _("Comment (optional)"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def inline_helper(form: forms.Form) -> FormHelper:
    """The ratings as one row of 1–5 (one tap on a phone), the comments below each."""
    helper = FormHelper()
    helper.form_tag = False
    helper.layout = Layout(
        *(
            InlineRadios(name) if isinstance(field, forms.TypedChoiceField) else name
            for name, field in form.fields.items()
        )
    )
    return helper


class BatchFeedbackForm(DomainErrorFormMixin, forms.Form):
    """The batch's rating and comment, then one rating and comment per trainer (fields
    ``trainer_<id>`` and ``trainer_<id>_comment``)."""

    rating = rating_field(_("How was the batch? (5 is best)"))
    comment = comment_field()

    def __init__(self, *args, trainers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.trainers = list(trainers)
        for trainer in self.trainers:
            self.fields[f"trainer_{trainer.pk}"] = rating_field(
                _("%(name)s as your trainer") % {"name": trainer.display_name}
            )
            self.fields[f"trainer_{trainer.pk}_comment"] = comment_field(
                _("Comment on %(name)s (optional)") % {"name": trainer.display_name}
            )
        self.helper = inline_helper(self)

    def trainer_ratings(self) -> dict[int, tuple[int, str]]:
        data = self.cleaned_data
        return {
            t.pk: (data[f"trainer_{t.pk}"], data.get(f"trainer_{t.pk}_comment", ""))
            for t in self.trainers
        }


class MentoringRatingForm(DomainErrorFormMixin, forms.Form):
    rating = rating_field(_("How was this mentoring session? (5 is best)"))
    comment = comment_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = inline_helper(self)
