"""Badges and certificates: an attendee's own PDFs, and organizers' badge sheets built in the background."""

from datetime import timedelta

from csp.decorators import csp_exempt
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from program.http import event_or_404
from program.models import Event

from .. import badges, selectors
from ..models import BadgeSheet, Mode, Registration, Status
from ..tasks.badges import build_badge_sheet

PDF_CACHE_CONTROL = "private, no-store"  # personal data: never kept by a shared cache or the browser
# PDFs go without a Content-Security-Policy (`csp_exempt`): Chrome shows one in an <embed>, which the policy's
# `object-src 'none'` would block.
RETRY_PENDING_AFTER = timedelta(minutes=1)


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = PDF_CACHE_CONTROL
    return response


def badge_refusal(registration: Registration | None) -> str:
    """Why this registration has no badge, or '' when it has one."""
    if registration is None:
        return "You have no registration for this event."
    if registration.status == Status.CANCELLED:
        return "Your registration is cancelled, so there is no badge to print."
    if registration.status == Status.WAITLISTED:
        return "You are on the waitlist: your badge is ready once you have an in-person seat."
    if registration.mode != Mode.IN_PERSON:
        return "Badges are for in-person attendees; you attend virtually."
    return ""


def certificate_refusal(registration: Registration | None, event: Event) -> str:
    """Why there is no certificate of attendance for this registration (yet), or '' when there is one."""
    if registration is None or not registration.is_confirmed:
        return "You have no confirmed registration for this event."
    if not event.is_past():
        return "Certificates of attendance are available once the event has ended."
    if registration.checked_in_at is None:
        return "Certificates of attendance are for attendees who checked in at the event."
    return ""


@csp_exempt()
@login_required
@require_GET
def badge_download(request, slug):
    """The signed-in attendee's own badge; the URL names no registration, so no one can ask for another's."""
    event = event_or_404(request, slug)
    registration = selectors.latest_registration(event=event, user=request.user)
    if reason := badge_refusal(registration):
        raise Http404(reason)
    return _pdf_response(badges.badge_pdf(registration), f"badge-{event.slug}.pdf")


@csp_exempt()
@staff_member_required
@permission_required("registration.print_badges", raise_exception=True)
@require_GET
def badge_download_staff(request, slug, pk):
    """Any attendee's badge, for organizers reprinting one at the desk."""
    event = event_or_404(request, slug)
    registration = get_object_or_404(Registration.objects.select_related("event", "user"), pk=pk, event=event)
    return _pdf_response(badges.badge_pdf(registration), f"badge-{event.slug}.pdf")


@csp_exempt()
@login_required
@require_GET
def certificate_download(request, slug):
    """The attendee's certificate of attendance, once the event is over and they were checked in."""
    event = event_or_404(request, slug)
    registration = selectors.latest_registration(event=event, user=request.user)
    if reason := certificate_refusal(registration, event):
        raise Http404(reason)
    return _pdf_response(badges.certificate_pdf(registration), f"certificate-{event.slug}.pdf")


# Organizers' badge sheets.


class NothingToPrint(Exception):
    """A badge sheet would be empty; the message says why."""


def start_badge_sheet(*, event: Event, requested_by, paper: str, registration_ids=()) -> BadgeSheet:
    """Record a sheet and queue its build once the row is committed.

    Explicit ids are narrowed to the event's confirmed in-person registrations; none left is refused,
    since an empty list means "everyone". The task reads the registrations again when it runs.
    """
    eligible = Registration.objects.filter(event=event, status=Status.CONFIRMED, mode=Mode.IN_PERSON)
    ids: list[int] = []
    if registration_ids:
        ids = sorted(eligible.filter(pk__in=registration_ids).values_list("pk", flat=True))
        if not ids:
            raise NothingToPrint("None of the selected registrations is a confirmed in-person one.")
        total = len(ids)
    else:
        total = eligible.count()
        if not total:
            raise NothingToPrint("There are no confirmed in-person registrations to print yet.")
    with transaction.atomic():
        sheet = BadgeSheet.objects.create(
            event=event, requested_by=requested_by, paper=paper, registration_ids=ids, total=total
        )
        _queue(sheet)
    return sheet


def _queue(sheet: BadgeSheet) -> None:
    # robust: a broker outage leaves the sheet pending (the page offers to try again) instead of a 500.
    transaction.on_commit(lambda: build_badge_sheet.delay(sheet_id=sheet.pk), robust=True)


class BadgeSheetForm(forms.Form):
    paper = forms.ChoiceField(
        choices=BadgeSheet.Paper.choices, initial=BadgeSheet.Paper.LETTER, widget=forms.RadioSelect
    )
    ids = forms.CharField(required=False, widget=forms.HiddenInput, max_length=100_000)

    def clean_ids(self) -> list[int]:
        raw = self.cleaned_data["ids"].strip()
        try:
            return sorted({int(part) for part in raw.split(",") if part.strip()})
        except ValueError:
            raise forms.ValidationError("The selection is not a list of registration numbers.") from None


@never_cache
@staff_member_required
@permission_required("registration.print_badges", raise_exception=True)
@require_http_methods(["GET", "POST"])
def badge_sheets(request, slug):
    """The event's badge sheets, and a form to build one: everyone confirmed in person, or a selection."""
    event = event_or_404(request, slug)
    form = BadgeSheetForm(request.POST or None, initial={"ids": request.GET.get("ids", "")})
    if request.method == "POST" and form.is_valid():
        try:
            sheet = start_badge_sheet(
                event=event,
                requested_by=request.user,
                paper=form.cleaned_data["paper"],
                registration_ids=form.cleaned_data["ids"],
            )
        except NothingToPrint as error:
            form.add_error(None, str(error))
        else:
            return redirect(sheet)
    selected = form["ids"].value() or ""
    context = {
        "event": event,
        "form": form,
        "selected_count": len([part for part in str(selected).split(",") if part.strip()]),
        "everyone_count": Registration.objects.filter(
            event=event, status=Status.CONFIRMED, mode=Mode.IN_PERSON
        ).count(),
        "sheets": event.badge_sheets.select_related("requested_by")[:20],
    }
    return render(request, "registration/badge_sheets.html", context, status=400 if form.errors else 200)


def _sheet_or_404(request, slug, pk) -> BadgeSheet:
    event = event_or_404(request, slug)
    return get_object_or_404(BadgeSheet.objects.select_related("event", "requested_by"), pk=pk, event=event)


def can_retry(sheet: BadgeSheet, now=None) -> bool:
    """A failed sheet, or one no worker has started within a minute (say the broker was down)."""
    if sheet.state == BadgeSheet.State.FAILED:
        return True
    waited = (now or timezone.now()) - sheet.created_at
    return sheet.state == BadgeSheet.State.PENDING and waited > RETRY_PENDING_AFTER


@never_cache
@staff_member_required
@permission_required("registration.print_badges", raise_exception=True)
@require_GET
def badge_sheet(request, slug, pk):
    """A sheet's progress; the page reloads itself every 2 seconds until the PDF is ready or failed."""
    sheet = _sheet_or_404(request, slug, pk)
    working = sheet.state in (BadgeSheet.State.PENDING, BadgeSheet.State.RUNNING)
    context = {"event": sheet.event, "sheet": sheet, "working": working, "can_retry": can_retry(sheet)}
    return render(request, "registration/badge_sheet.html", context)


@staff_member_required
@permission_required("registration.print_badges", raise_exception=True)
@require_POST
def badge_sheet_retry(request, slug, pk):
    """Queue a sheet's build again, e.g. after a failure or when no worker picked it up."""
    sheet = _sheet_or_404(request, slug, pk)
    if can_retry(sheet):
        _queue(sheet)
        messages.success(request, "The sheet is queued again.")
    else:
        messages.info(request, "This sheet is built or being built.")
    return redirect(sheet)


@csp_exempt()
@staff_member_required
@permission_required("registration.print_badges", raise_exception=True)
@require_GET
def badge_sheet_download(request, slug, pk):
    """The finished PDF, through Django (never MEDIA_URL): it holds attendees' personal data."""
    sheet = _sheet_or_404(request, slug, pk)
    if sheet.state != BadgeSheet.State.DONE or not sheet.file:
        raise Http404("This badge sheet is not ready.")
    response = FileResponse(
        sheet.file.open("rb"), content_type="application/pdf", filename=f"badges-{sheet.event.slug}-{sheet.pk}.pdf"
    )
    response["Cache-Control"] = PDF_CACHE_CONTROL
    return response


@admin.action(description="Print badges for selected (PDF sheet)")
def build_badges_action(modeladmin, request, queryset):
    """Registration admin action: a badge sheet of the selected confirmed in-person registrations."""
    event_ids = list(queryset.order_by().values_list("event_id", flat=True).distinct())
    if len(event_ids) != 1:
        modeladmin.message_user(request, "Select registrations of one event at a time.", messages.ERROR)
        return None
    selected = list(queryset.values_list("pk", flat=True))
    try:
        sheet = start_badge_sheet(
            event=Event.objects.get(pk=event_ids[0]),
            requested_by=request.user,
            paper=BadgeSheet.Paper.LETTER,
            registration_ids=selected,
        )
    except NothingToPrint as error:
        modeladmin.message_user(request, str(error), messages.ERROR)
        return None
    left_out = len(selected) - len(sheet.registration_ids)
    if left_out:
        modeladmin.message_user(
            request,
            f"{left_out} selected registration{'s are' if left_out != 1 else ' is'} not confirmed in person "
            "and left out.",
            messages.WARNING,
        )
    return redirect(sheet)
