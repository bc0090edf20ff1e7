"""Organizers' pages outside the admin."""

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from program.http import event_or_404

from .. import selectors


@never_cache
@staff_member_required
@permission_required("registration.view_registration", raise_exception=True)
def dashboard(request, slug):
    """Organizers' figures for one event: counts, seats, waitlist, sign-ups per day, career stages."""
    event = event_or_404(request, slug)
    figures = selectors.dashboard(event)
    context = {"event": event, "figures": figures, "chart": _bar_chart(figures.per_day)}
    return render(request, "registration/dashboard.html", context)


def _bar_chart(per_day: list[tuple], *, height: int = 120, bar: int = 14, gap: int = 4) -> dict:
    """SVG geometry for a bar per day: attributes only, so the page needs no inline style or script."""
    peak = max((count for _, count in per_day), default=0) or 1
    bars = []
    for index, (day, count) in enumerate(per_day):
        bar_height = max(round(count / peak * height), 1)
        bars.append(
            {
                "day": day,
                "count": count,
                "x": index * (bar + gap),
                "y": height - bar_height,
                "width": bar,
                "height": bar_height,
            }
        )
    return {"bars": bars, "width": max(len(per_day) * (bar + gap) - gap, 1), "height": height, "peak": peak}
