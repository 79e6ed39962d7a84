"""``?page=`` and ``?limit=`` for every list, validated like any other input (400, not 404).

Older clients call lists with neither: they get every item, up to ``HARD_CAP`` (1,000); past
it the answer's ``message`` says so and ``total`` counts every match. With ``page`` or
``limit`` a list is paginated (``limit`` 1–100, default 20)."""

from __future__ import annotations

from dataclasses import dataclass

from rest_framework import serializers

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# The most items a list gives to a caller that asks for no page (docs/api.md, "Lists").
HARD_CAP = 1000


class PageParams(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=1_000_000, default=1)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    number: int
    limit: int
    # Neither page nor limit was asked for and there are more than HARD_CAP matches.
    capped: bool = False

    @property
    def pages(self) -> int:
        return (self.total + self.limit - 1) // self.limit


def paginate(request, items) -> Page:
    """One page of ``items`` (a queryset: a COUNT and one SELECT, whatever the page; or a
    list). A page past the last one is empty rather than an error, so a client can stop on
    ``count == 0``. With neither ``page`` nor ``limit`` in the query: the first ``HARD_CAP``
    items, ``capped`` when there are more."""
    params = PageParams(data=request.query_params)
    params.is_valid(raise_exception=True)
    number, limit = params.validated_data["page"], params.validated_data["limit"]
    unpaged = "page" not in request.query_params and "limit" not in request.query_params
    if unpaged:
        limit = HARD_CAP
    total = len(items) if isinstance(items, list) else items.count()
    start = (number - 1) * limit
    page_items = list(items[start : start + limit]) if start < total else []
    return Page(
        items=page_items,
        total=total,
        number=number,
        limit=limit,
        capped=unpaged and total > HARD_CAP,
    )
