"""The generic filters of ``{% load core_tags %}``, through a template as pages use them."""

from types import SimpleNamespace

import pytest
from django.template import Context, Template


def render(source: str, **context) -> str:
    return Template("{% load core_tags %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("value", "shown"), [(None, "0"), (0.523, "52"), (1.4, "100"), (-0.2, "0")]
)
def test_percent_is_a_whole_percentage_for_a_progress_bar(value, shown):
    assert render("{{ value|percent }}", value=value) == shown


@pytest.mark.parametrize(
    ("part", "whole", "shown"), [(3, 10, "30"), (None, 10, "0"), (5, 0, "0"), (12, 10, "100")]
)
def test_ratio_percent(part, whole, shown):
    assert render("{% ratio_percent part whole %}", part=part, whole=whole) == shown


def test_display_name_falls_back_to_a_dash_or_the_given_text():
    user = SimpleNamespace(display_name="Anna Berg")
    assert render("{{ user|display_name }}", user=user) == "Anna Berg"
    assert render("{{ user|display_name }}", user=None) == "—"
    assert render('{{ user|display_name:"nobody" }}', user=None) == "nobody"


@pytest.mark.parametrize(("value", "shown"), [(16.0, "16"), (11.5, "11.5"), (None, "0")])
def test_hours_drop_trailing_zeros(value, shown):
    assert render("{{ value|hours }}", value=value) == shown


def test_active_filters_counts_the_visible_fields_in_use():
    from django import forms
    from django.http import QueryDict

    class Filters(forms.Form):
        q = forms.CharField(required=False)
        status = forms.CharField(required=False)
        page = forms.IntegerField(required=False, widget=forms.HiddenInput)

    assert render("{{ form|active_filters }}", form=Filters()) == "0"
    used = Filters(QueryDict("q=anna&status=&page=3"))
    assert render("{{ form|active_filters }}", form=used) == "1"
    assert render("{{ form|active_filters }}", form=Filters({"q": "a", "status": "x"})) == "2"
