"""``?page=`` and ``?limit=`` for every list, validated like any other input (400, not 404)."""

from __future__ import annotations

from dataclasses import dataclass

from rest_framework import serializers

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class PageParams(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=1_000_000, default=1)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    number: int
    limit: int

    @property
    def pages(self) -> int:
        return (self.total + self.limit - 1) // self.limit


def paginate(request, items) -> Page:
    """One page of ``items`` (a queryset: a COUNT and one SELECT, whatever the page; or a
    list). A page past the last one is empty rather than an error, so a client can stop on
    ``count == 0``."""
    params = PageParams(data=request.query_params)
    params.is_valid(raise_exception=True)
    number, limit = params.validated_data["page"], params.validated_data["limit"]
    total = len(items) if isinstance(items, list) else items.count()
    start = (number - 1) * limit
    page_items = list(items[start : start + limit]) if start < total else []
    return Page(items=page_items, total=total, number=number, limit=limit)
