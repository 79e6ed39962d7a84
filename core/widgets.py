"""Form widgets shared by the pages.

``LongSelect`` is Django's ``<select>`` for lists that grow with the data (every course,
every instructor). Django renders each ``<option>`` through its own template include, about
40 µs apiece: a filter of 500 instructors and 500 courses spent 40 ms of a page on its
options alone (bench/dashboards.py at 100×). This one writes the same markup in one pass with
``format_html``, so escaping is unchanged.
"""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe


class LongSelect(forms.Select):
    """A single ``<select>`` whose options are written in one pass (flat choices only; a
    grouped list is left to Django's own rendering)."""

    def render(self, name, value, attrs=None, renderer=None):
        # Through iter(): list() would ask a ModelChoiceIterator its len(), a COUNT query.
        choices = list(iter(self.choices))
        if any(isinstance(label, (list, tuple)) for _, label in choices):
            return super().render(name, value, attrs, renderer)
        wanted = set(self.format_value(value))
        rows, chosen = [], False
        for option_value, label in choices:
            text = "" if option_value is None else str(option_value)
            # As Django does for a single select: only the first match is selected.
            is_selected = not chosen and text in wanted
            chosen = chosen or is_selected
            # What format_html would write, without its call per option: the value and the
            # label escaped (a label already marked safe kept as it is).
            rows.append(
                f'<option value="{escape(text)}"{" selected" if is_selected else ""}>'
                f"{conditional_escape(label)}</option>"
            )
        options = mark_safe("\n".join(rows))  # every part escaped above
        final_attrs = self.build_attrs(self.attrs, attrs)
        return format_html(
            '<select name="{}"{}>\n{}\n</select>', name, flatatt(final_attrs), options
        )
