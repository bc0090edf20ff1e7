"""Organizers' pages outside the admin."""

import csv

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from program.http import event_or_404
from program.resources import neutralise_formula

from .. import selectors


@never_cache
@staff_member_required
@permission_required("registration.view_registration", raise_exception=True)
def dashboard(request, slug):
    """Organizers' figures for one event: counts, seats, needs, waitlist, sign-ups per day, career stages."""
    event = event_or_404(request, slug)
    figures = selectors.dashboard(event)
    context = {
        "event": event,
        "figures": figures,
        "per_day": _bars(figures.per_day),
        "dietary": _bars(figures.needs.dietary),
        "accessibility": _bars(figures.needs.accessibility),
    }
    return render(request, "registration/dashboard.html", context)


@never_cache
@staff_member_required
@permission_required("registration.view_registration", raise_exception=True)
def needs_csv(request, slug):
    """The dietary and accessibility answers of the confirmed in-person attendees, counted, for the caterer and the
    venue: no names. Every cell is neutralised like the registrations export (registration.resources)."""
    event = event_or_404(request, slug)
    needs = selectors.needs_totals(event)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{event.slug}-needs.csv"'
    rows = [
        ("Need", "Answer", "Attendees"),
        *(("Dietary", answer, count) for answer, count in needs.dietary),
        ("Dietary", "(none given)", needs.no_dietary),
        *(("Accessibility", answer, count) for answer, count in needs.accessibility),
        ("Accessibility", "(none given)", needs.no_accessibility),
        ("All", "Confirmed in-person attendees", needs.attendees),
    ]
    writer = csv.writer(response)
    writer.writerows([neutralise_formula(cell) for cell in row] for row in rows)
    return response


def _bars(pairs: list[tuple]) -> list[dict]:
    """Each (label, count) with its bar's length in percent of the largest count, for a table drawn as a chart."""
    peak = max((count for _, count in pairs), default=0) or 1
    return [{"label": label, "count": count, "percent": round(count / peak * 100, 1)} for label, count in pairs]
