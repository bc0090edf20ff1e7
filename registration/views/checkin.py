"""The staff check-in desk: scan or type a badge, find someone by name, watch the count."""

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from program.http import event_or_404

from .. import checkin as desk
from ..forms import UndoCheckInForm


@never_cache
@staff_member_required
@permission_required("registration.check_in", raise_exception=True)
@require_http_methods(["GET", "POST"])
def checkin(request, slug):
    """GET shows the desk (with ?t=, a confirmation for that badge: GET never checks in); POST checks in."""
    event = event_or_404(request, slug)
    result, token = None, ""
    if request.method == "POST":
        result = desk.check_in(event=event, entry=request.POST.get("entry", ""), actor=request.user)
        query = request.POST.get("q", "")
    else:
        query = request.GET.get("q", "")
        if "t" in request.GET:
            token = request.GET["t"].strip()
            result = desk.preview(event=event, entry=token)
    return _desk(request, event, result=result, token=token, query=query)


@never_cache
@staff_member_required
@permission_required("registration.check_in", raise_exception=True)
@require_POST
def checkin_undo(request, slug):
    """Take back a check-in made less than a minute ago (the Undo button under it); shows the desk."""
    event = event_or_404(request, slug)
    form = UndoCheckInForm(request.POST)
    if form.is_valid():
        result = desk.undo_check_in(
            event=event,
            registration_id=form.cleaned_data["registration"],
            checked_in_at=form.cleaned_data["checked_in_at"],
            actor=request.user,
        )
    else:
        result = desk.CheckInResult(desk.Outcome.UNDO_REFUSED, "That undo form was incomplete. Nothing changed.")
    return _desk(request, event, result=result, query=request.POST.get("q", ""))


def _desk(request, event, *, result: desk.CheckInResult | None, token: str = "", query: str = ""):
    query = query.strip()[: desk.MAX_QUERY_LENGTH]
    # A volunteer who may only check people in finds them by name and affiliation, and sees no email addresses.
    by_email = request.user.has_perm("registration.view_registration")
    people = [
        (registration, desk.assess(registration)) for registration in desk.search(event, query, by_email=by_email)
    ]
    context = {
        "event": event,
        "result": result,
        "token": token,
        "query": query,
        "people": people,
        "search_limit": desk.SEARCH_LIMIT,
        "counts": desk.counts(event),
        "undo_seconds": desk.UNDO_SECONDS,
    }
    return render(request, "registration/checkin.html", context)


@never_cache
@staff_member_required
@permission_required("registration.check_in", raise_exception=True)
@require_GET
def checkin_stats(request, slug):
    """The live count for the desk's poll: {"checked_in": n, "expected": m}."""
    counts = desk.counts(event_or_404(request, slug))
    return JsonResponse({"checked_in": counts.checked_in, "expected": counts.expected})
