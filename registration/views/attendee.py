"""Attendee pages: register, my registration (change mode, edit answers, cancel), my data, delete account."""

import json

from allauth.account.models import EmailAddress
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from program.http import event_or_404
from program.models import Event

from .. import invites, selectors, services, tokens
from ..forms import EditAnswersForm, ModeForm, RegistrationForm
from ..models import Mode, Registration
from ..ratelimit import limit_posts


def my_registration_or_404(request, event: Event) -> Registration:
    registration = selectors.latest_registration(event=event, user=request.user)
    if registration is None:
        raise Http404("You have no registration for this event.")
    return registration


def _my_page(event: Event):
    return redirect("registration:my-registration", slug=event.slug)


def _already_registered(request, event: Event):
    messages.info(request, "You are already registered for this event.")
    return _my_page(event)


def _outcome_message(registration: Registration) -> str:
    """What the registration page says above the attendee's page it sends them to.

    The waitlist place is not repeated here: the page below says it, and counting it again was about a
    tenth of a registration's CPU in a profile of a rush (bench/history.md).
    """
    if registration.is_confirmed:
        return "You're registered to attend " + ("in person." if registration.mode == Mode.IN_PERSON else "virtually.")
    message = (
        f"{registration.mode_adjective.capitalize()} attendance is full, so you are on its waitlist: "
        "your place is shown below."
    )
    if registration.virtual_meanwhile:
        message += " Meanwhile you have a virtual seat."
    return message


@never_cache
@require_http_methods(["GET", "POST"])
@limit_posts
def register(request, slug):
    event = event_or_404(request, slug)
    if not request.user.is_authenticated:
        # Say why before sending anyone to log in: most who click "Register now" have no account yet.
        context = {"event": event, "closed_reason": services.registration_closed_reason(event), "account_needed": True}
        return render(request, "registration/register.html", context)
    if selectors.is_registered(event=event, user=request.user):
        return _already_registered(request, event)
    context = {"event": event, "closed_reason": services.registration_closed_reason(event)}
    if context["closed_reason"]:
        return render(request, "registration/register.html", context)
    if not EmailAddress.objects.filter(user=request.user, verified=True).exists():
        context["unverified"] = True
        return render(request, "registration/register.html", context)

    if request.method == "POST":
        form = RegistrationForm(request.POST, event=event)
    else:
        # Someone registering again after cancelling starts from the answers they gave last time.
        previous = selectors.latest_registration(event=event, user=request.user)
        form = RegistrationForm(event=event, registration=previous)
    if request.method == "POST" and form.is_valid():
        try:
            registration, created = services.register(
                event=event,
                user=request.user,
                mode=form.cleaned_data["mode"],
                answers=form.answers(),
                virtual_meanwhile=form.cleaned_data.get("virtual_meanwhile", False),
            )
        except services.RegistrationError as error:
            form.add_error(None, str(error))
        else:
            if not created:
                return _already_registered(request, event)
            messages.success(request, _outcome_message(registration))
            return _my_page(event)
    context.update(form=form, seats=selectors.seat_summary(event))
    return render(request, "registration/register.html", context, status=400 if form.errors else 200)


@never_cache
@login_required
def my_registration(request, slug):
    event = event_or_404(request, slug)
    registration = selectors.latest_registration(event=event, user=request.user)
    if registration is None:
        return redirect("registration:register", slug=event.slug)
    context = {
        "event": event,
        "registration": registration,
        "position": selectors.waitlist_position(registration),
        "seats": selectors.seat_summary(event),
        "other_mode": Mode.VIRTUAL if registration.mode == Mode.IN_PERSON else Mode.IN_PERSON,
        "other_mode_offered": len(services.offered_modes(event)) > 1,
        "can_register_again": not registration.is_live and not services.registration_closed_reason(event),
        "join_url": invites.join_url(registration),
        "session_streams": event.sessions.exclude(stream_url="") if registration.attends_virtually else [],
        "certificate_ready": registration.checked_in_at is not None and event.is_past(),
    }
    feed_path = reverse("registration:personal-feed", kwargs={"slug": event.slug, "token": registration.feed_token})
    context["feed_url"] = request.build_absolute_uri(feed_path)
    context["feed_webcal"] = "webcal://" + context["feed_url"].split("://", 1)[1]
    context["invite_url"] = request.build_absolute_uri(tokens.invite_path(registration))
    return render(request, "registration/my_registration.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@limit_posts
def change_mode(request, slug):
    """GET says what switching to the other mode would do (a seat given up is not given back); POST switches."""
    event = event_or_404(request, slug)
    registration = my_registration_or_404(request, event)
    form = ModeForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        messages.error(request, "Choose in person or virtual.")
        return _my_page(event)
    mode = form.cleaned_data["mode"]
    if not registration.is_live or mode == registration.mode:
        return _my_page(event)
    if request.method == "GET":
        context = {
            "event": event,
            "registration": registration,
            "mode": mode,
            "position": selectors.waitlist_position(registration),
            "seats": selectors.seat_summary(event),
        }
        return render(request, "registration/change_mode_confirm.html", context)
    try:
        registration = services.change_mode(registration=registration, mode=mode)
    except services.RegistrationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _outcome_message(registration))
    return _my_page(event)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@limit_posts
def edit_answers(request, slug):
    event = event_or_404(request, slug)
    registration = my_registration_or_404(request, event)
    if not registration.is_live:
        messages.error(request, "This registration is cancelled.")
        return _my_page(event)
    form = EditAnswersForm(request.POST if request.method == "POST" else None, registration=registration)
    if request.method == "POST" and form.is_valid():
        services.update_answers(registration=registration, answers=form.answers())
        messages.success(request, "Your answers are saved.")
        return _my_page(event)
    context = {"event": event, "registration": registration, "form": form}
    return render(request, "registration/edit_answers.html", context, status=400 if form.errors else 200)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@limit_posts
def cancel(request, slug):
    event = event_or_404(request, slug)
    registration = my_registration_or_404(request, event)
    if not registration.is_live:
        return _my_page(event)
    if request.method == "POST":
        services.cancel(registration=registration)
        messages.success(request, "Your registration is cancelled. You can register again while registration is open.")
        return _my_page(event)
    return render(request, "registration/cancel_confirm.html", {"event": event, "registration": registration})


@never_cache
@login_required
def my_data(request):
    """Everything the site holds about the signed-in person, as a JSON download."""
    body = json.dumps(selectors.personal_data(request.user), indent=2, ensure_ascii=False, default=str)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="my-workshop-data.json"'
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@limit_posts
def delete_account(request):
    if request.method == "POST":
        if request.POST.get("confirm") != "delete":
            messages.error(request, "Tick the box to confirm that you want your account deleted.")
            return redirect("registration:delete-account")
        user = request.user
        logout(request)
        cancelled = services.delete_account(user=user)
        messages.success(
            request,
            "Your account and personal answers are deleted"
            + (f"; {cancelled} registration{'s' if cancelled != 1 else ''} cancelled." if cancelled else "."),
        )
        return redirect(reverse("program:home"))
    live = list(Registration.objects.live().filter(user=request.user).select_related("event"))
    return render(request, "registration/delete_account.html", {"live_registrations": live})
