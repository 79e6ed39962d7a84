"""``core.widgets.LongSelect`` renders what Django's Select renders, in one pass."""

import re

import pytest
from django import forms

from allocation.models import Course
from allocation.tests.factories import CourseFactory
from core.widgets import LongSelect

OPTION = re.compile(r'<option value="([^"]*)"( selected)?>([^<]*)</option>')

CHOICES = [("", "Any course"), (1, "German <A1> & co"), (2, '"Quoted"'), (3, "Third")]


def options(html: str) -> list[tuple[str, bool, str]]:
    return [(value, bool(selected), label) for value, selected, label in OPTION.findall(html)]


@pytest.mark.parametrize("value", [None, "", 2, "2", "99"])
def test_same_options_and_selection_as_djangos_select(value):
    attrs = {"id": "id_course", "class": "form-select"}

    ours = LongSelect(choices=CHOICES).render("course", value, attrs=attrs)
    django = forms.Select(choices=CHOICES).render("course", value, attrs=attrs)

    assert options(ours) == options(django)
    assert len(options(ours)) == len(CHOICES)
    assert ours.startswith('<select name="course"')
    assert 'id="id_course"' in ours and 'class="form-select"' in ours


def test_labels_are_escaped():
    html = LongSelect(choices=[(1, "<script>alert(1)</script>")]).render("x", None)

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_value_is_selected_once_and_a_required_flag_is_kept():
    html = LongSelect(choices=[(1, "a"), (1, "again")]).render("x", 1, attrs={"required": True})

    assert html.count(" selected") == 1
    assert re.search(r"<select [^>]*required", html)


def test_grouped_choices_fall_back_to_djangos_rendering():
    grouped = [("Morning", [(1, "Early"), (2, "Late")]), ("Evening", [(3, "Night")])]

    html = LongSelect(choices=grouped).render("x", 3)

    assert '<optgroup label="Morning">' in html
    assert options(html) == options(forms.Select(choices=grouped).render("x", 3))


@pytest.mark.django_db
def test_a_model_choice_field_costs_one_query_and_no_count(django_assert_num_queries):
    CourseFactory.create_batch(3)

    class Form(forms.Form):
        course = forms.ModelChoiceField(
            queryset=Course.objects.order_by("pk"), empty_label="Any", widget=LongSelect
        )

    with django_assert_num_queries(1):
        html = str(Form()["course"])

    assert [value for value, _, _ in options(html)] == [
        "",
        *(str(pk) for pk in Course.objects.order_by("pk").values_list("pk", flat=True)),
    ]
