"""Server-rendered SVG charts of the workload dashboard: horizontal bars and a split bar.

The tags turn figures into geometry (no queries, no JavaScript); the ``_bar_chart.html`` and
``_split_chart.html`` templates draw it. Every chart carries a title and a text summary for
screen readers, and its figures as a table under it.
"""

from dataclasses import dataclass

from django import template
from django.utils.translation import gettext, ngettext

register = template.Library()

# Geometry of a bar chart, in CSS pixels. The SVG has no viewBox: it takes its container's
# width and its text keeps its CSS size (13px) on a phone as on a desktop, where a scaled
# drawing would shrink it to 7px. Each row is a line of text (the label on the left, the
# figure on the right) over a bar whose length is a percentage of the width.
ROW = 40
TEXT = 14  # the text's baseline, from the top of its row
BAR_TOP = 21
BAR = 12
TOP = 2


@dataclass(frozen=True)
class Bar:
    label: str
    text: str  # the figure printed on the right of the label
    title: str  # the bar's tooltip and accessible name
    tone: str  # ok / warn / over: a CSS class suffix
    length: float  # 0-1 of the plot width


@dataclass(frozen=True)
class PlacedBar:
    bar: Bar
    text_y: str
    y: str
    width: str  # percent of the chart's width


def _place(bars: list[Bar]) -> list[PlacedBar]:
    placed = []
    for i, bar in enumerate(bars):
        top = TOP + i * ROW
        placed.append(
            PlacedBar(
                bar=bar,
                text_y=f"{top + TEXT:g}",
                y=f"{top + BAR_TOP:g}",
                width=f"{max(0.0, min(1.0, bar.length)) * 100:.1f}",
            )
        )
    return placed


def _chart(chart_id: str, title: str, summary: str, bars: list[Bar], columns: list[str], table):
    return {
        "id": chart_id,
        "title": title,
        "summary": summary,
        "rows": _place(bars),
        "height": TOP * 2 + ROW * len(bars),
        "bar": BAR,
        "columns": columns,
        "table": table,
    }


def _name(user) -> str:
    return user.display_name


def _short(text: str, size: int = 26) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


@register.inclusion_tag("allocation/_bar_chart.html")
def workload_chart(rows):
    """Weekly teaching hours per instructor of ``rows`` (``DashboardRow``), with their
    active batches against the cap; over cap in red, at cap in amber."""
    most = max((r.workload.weekly_hours for r in rows), default=0) or 1
    bars, table = [], []
    for row in rows:
        w = row.workload
        tone = "over" if w.over_cap else "warn" if w.at_cap else "ok"
        batches = gettext("%(active)s/%(cap)s batches") % {
            "active": w.active_batches,
            "cap": w.max_active_batches,
        }
        text = f"{w.weekly_hours:g} h · {batches}"
        bars.append(
            Bar(
                label=_short(_name(w.trainer)),
                text=text,
                title=(
                    gettext("%(name)s: %(hours)s hours a week, %(batches)s (over cap)")
                    if w.over_cap
                    else gettext("%(name)s: %(hours)s hours a week, %(batches)s")
                )
                % {"name": _name(w.trainer), "hours": f"{w.weekly_hours:g}", "batches": batches},
                tone=tone,
                length=w.weekly_hours / most,
            )
        )
        table.append([_name(w.trainer), f"{w.weekly_hours:g}", batches])
    busiest = max(rows, key=lambda r: r.workload.weekly_hours, default=None)
    summary = (
        ngettext(
            "%(count)s instructor; the busiest, %(name)s, teaches %(hours)s hours a week; "
            "%(over)s over their cap.",
            "%(count)s instructors; the busiest, %(name)s, teaches %(hours)s hours a week; "
            "%(over)s over their cap.",
            len(rows),
        )
        % {
            "count": len(rows),
            "name": _name(busiest.trainer),
            "hours": f"{busiest.workload.weekly_hours:g}",
            "over": sum(r.workload.over_cap for r in rows),
        }
        if busiest
        else gettext("No instructors.")
    )
    return _chart(
        "chart-workload",
        gettext("Weekly teaching hours per instructor (this page)"),
        summary,
        bars,
        [gettext("Instructor"), gettext("Weekly hours"), gettext("Active batches / cap")],
        table,
    )


@register.inclusion_tag("allocation/_bar_chart.html")
def fill_chart(batches):
    """Fill rate of open batches (annotated ``fill``, fullest first): full in red, 80% or
    more in amber."""
    bars, table = [], []
    for batch in batches:
        pct = round(batch.fill * 100)
        tone = "over" if batch.is_full else "warn" if pct >= 80 else "ok"
        seats = f"{batch.enrolled_students}/{batch.capacity}"
        bars.append(
            Bar(
                label=_short(batch.batch_code),
                text=f"{pct}% · {seats}",
                title=gettext("%(code)s (%(name)s): %(seats)s seats taken, %(pct)s%%")
                % {"code": batch.batch_code, "name": batch.batch_name, "seats": seats, "pct": pct},
                tone=tone,
                length=batch.fill,
            )
        )
        table.append([batch.batch_code, batch.course.code, seats, f"{pct}%"])
    full = sum(b.is_full for b in batches)
    summary = (
        ngettext(
            "%(count)s open batch, fullest first; %(full)s full.",
            "%(count)s open batches, fullest first; %(full)s full.",
            len(batches),
        )
        % {"count": len(batches), "full": full}
        if batches
        else gettext("No open batches.")
    )
    return _chart(
        "chart-fill",
        gettext("Fill rate of open batches"),
        summary,
        bars,
        [gettext("Batch"), gettext("Course"), gettext("Seats taken"), gettext("Fill rate")],
        table,
    )


@register.inclusion_tag("allocation/_split_chart.html")
def mentor_split_chart(coverage):
    """Students with and without a mentor (``MentorCoverage``) as one two-segment bar."""
    total = coverage.students
    share = coverage.mentored / total if total else 0
    return {
        "id": "chart-mentors",
        "coverage": coverage,
        # Percentages of the chart's width (no viewBox: see ROW above).
        "mentored_width": f"{share * 100:.1f}",
        "unassigned_x": f"{share * 100:.1f}",
        "unassigned_width": f"{(1 - share) * 100:.1f}",
        "mentored_pct": round(share * 100),
        "unassigned_pct": 100 - round(share * 100) if total else 0,
        "summary": (
            f"{coverage.mentored} of {total} students ({round(share * 100)}%) have a mentor; "
            f"{coverage.unassigned} have none."
            if total
            else gettext("No students yet.")
        ),
    }
