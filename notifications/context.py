"""A notification's template context, stored as JSON: model instances as ids, dates and
times as ISO strings, so the request writes ids only and the worker renders later.

``freeze`` runs in the caller's transaction (``notify``); ``thaw`` runs where the email is
rendered and loads the instances as they are then, one query per model. An instance deleted
in between thaws to ``None``: the templates already treat a missing batch or instructor.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import Model
from django.utils.functional import Promise

# Keys of the tagged values; a plain dict of the context must not use them.
MODEL, DATETIME, DATE, TIME, DECIMAL = "$model", "$datetime", "$date", "$time", "$decimal"
RELATED = "$related"
TAGS = {MODEL, DATETIME, DATE, TIME, DECIMAL, RELATED}


class Related:
    """``instance.<name>.all()`` (in the related model's ordering), read when the email is
    rendered instead of in the caller's transaction: e.g. a batch's weekly schedule, without
    a query in the request that enrolls."""

    def __init__(self, instance: Model, name: str):
        self.instance, self.name = instance, name


def freeze(value: Any) -> Any:
    """``value`` as JSON values; refuses (TypeError) what it could not give back."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Related):
        return {RELATED: freeze(value.instance), "name": value.name}
    if isinstance(value, Model):
        if value.pk is None:
            raise TypeError(f"notification context: unsaved {value._meta.label} instance")
        return {MODEL: value._meta.label_lower, "pk": value.pk}
    if isinstance(value, dt.datetime):  # before date: a datetime is a date
        if value.tzinfo is None:
            raise TypeError("notification context: naive datetime (store aware ones)")
        return {DATETIME: value.isoformat()}
    if isinstance(value, dt.date):
        return {DATE: value.isoformat()}
    if isinstance(value, dt.time):
        return {TIME: value.isoformat()}
    if isinstance(value, Decimal):
        return {DECIMAL: str(value)}
    if isinstance(value, Promise):  # a lazy translation: its text now
        return str(value)
    if isinstance(value, list | tuple):
        return [freeze(item) for item in value]
    if isinstance(value, dict):
        if TAGS & set(value):
            raise TypeError(f"notification context: keys {sorted(TAGS & set(value))} are reserved")
        return {str(key): freeze(item) for key, item in value.items()}
    raise TypeError(f"notification context: cannot store {type(value).__name__}")


def thaw(frozen: Any) -> Any:
    """The values ``freeze`` stored, model instances loaded fresh (``None`` if deleted)."""
    wanted: dict[str, set] = {}
    _collect(frozen, wanted)
    loaded = {
        label: apps.get_model(label)._default_manager.in_bulk(list(pks))
        for label, pks in wanted.items()
    }
    return _build(frozen, loaded)


def _collect(value: Any, wanted: dict[str, set]) -> None:
    if isinstance(value, list):
        for item in value:
            _collect(item, wanted)
    elif isinstance(value, dict):
        if MODEL in value:
            wanted.setdefault(value[MODEL], set()).add(value["pk"])
        elif RELATED in value:
            _collect(value[RELATED], wanted)
        else:
            for item in value.values():
                _collect(item, wanted)


def _build(value: Any, loaded: dict[str, dict]) -> Any:
    if isinstance(value, list):
        # A deleted instance leaves the list (a schedule slot removed since).
        built = [(item, _build(item, loaded)) for item in value]
        return [b for item, b in built if b is not None or not _is_model(item)]
    if not isinstance(value, dict):
        return value
    if MODEL in value:
        return loaded[value[MODEL]].get(value["pk"])
    if RELATED in value:
        owner = _build(value[RELATED], loaded)
        return [] if owner is None else list(getattr(owner, value["name"]).all())
    if DATETIME in value:
        return dt.datetime.fromisoformat(value[DATETIME])
    if DATE in value:
        return dt.date.fromisoformat(value[DATE])
    if TIME in value:
        return dt.time.fromisoformat(value[TIME])
    if DECIMAL in value:
        return Decimal(value[DECIMAL])
    return {key: _build(item, loaded) for key, item in value.items()}


def _is_model(value: Any) -> bool:
    return isinstance(value, dict) and MODEL in value
