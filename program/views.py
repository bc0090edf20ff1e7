"""Public pages of an event: home, agenda, speakers, committee, recordings, calendars."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.generic import ListView, TemplateView

from . import caching, calendars, content, selectors
from .http import (
    calendar_response,
    conditional_calendar,
    conditional_page,
    for_cookieless_visitors,
    private,
    public,
    visible_event,
)
from .models import Event


def home(request):
    """Send visitors to the next upcoming published event, else the latest one."""
    events = Event.objects.published()
    event = events.upcoming().first() or events.order_by("-start_date").first()
    if event is None:
        return redirect("program:event-list")
    return redirect(event)


class EventListView(ListView):
    template_name = "program/event_list.html"
    context_object_name = "events"

    def get_queryset(self):
        return Event.objects.published().order_by("-start_date")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        context["upcoming"] = [e for e in context["events"] if e.end_date >= today][::-1]
        context["past"] = [e for e in context["events"] if e.end_date < today]
        return context


class EventPageMixin:
    """Finds the event in the URL: published, or any event for staff previewing it."""

    @property
    def event(self) -> Event:
        return visible_event(self.request, self.kwargs["slug"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["event"] = self.event
        return context


class CachedPageMixin(EventPageMixin):
    """A page whose content is the same for everyone (program.content) inside a header that says who is logged in.

    Visitors who send no cookie all get the same page: it is kept whole at the event's version and validated by
    it (a 304 when they have it already). Everyone else gets the page rendered around the kept content, private.
    """

    def get(self, request, *args, **kwargs):
        if request.COOKIES:
            return private(super().get(request, *args, **kwargs))
        name = f"page:{request.path}"
        page = caching.get(self.event, name)
        if page is None:
            response = super().get(request, *args, **kwargs).render()
            if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):  # it gave this visitor a CSRF token (a form): theirs
                return private(response)
            page = response.content
            caching.set(self.event, name, page)
        return for_cookieless_visitors(HttpResponse(page), self.event)


class EventDetailView(EventPageMixin, TemplateView):
    template_name = "program/event_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        event = self.event
        context["registration_open"] = event.registration_is_open()
        context["committee"] = selectors.committee_groups(event)
        context["session_count"] = event.sessions.count()
        context["day_count"] = (event.end_date - event.start_date).days + 1
        context["has_recordings"] = selectors.published_recordings(event).exists()
        return context


@method_decorator(conditional_page, name="get")
class AgendaView(CachedPageMixin, TemplateView):
    template_name = "program/agenda.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "content": content.agenda_content(self.event)}


@method_decorator(conditional_page, name="get")
class SpeakersView(CachedPageMixin, TemplateView):
    template_name = "program/speakers.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "content": content.speakers_content(self.event)}


class SessionDetailView(EventPageMixin, TemplateView):
    template_name = "program/session_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["session"] = get_object_or_404(selectors.agenda_sessions(self.event), pk=self.kwargs["pk"])
        context["recordings"] = selectors.published_recordings(self.event).filter(session=context["session"])
        return context


class CommitteeView(EventPageMixin, TemplateView):
    template_name = "program/committee.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["groups"] = selectors.committee_groups(self.event)
        return context


class RecordingsView(EventPageMixin, TemplateView):
    template_name = "program/recordings.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["recordings"] = selectors.published_recordings(self.event)
        return context


@conditional_calendar
def agenda_calendar(request, slug):
    """The whole agenda as .ics, the same for everyone."""
    event = visible_event(request, slug)
    return public(calendar_response(content.agenda_ics(event), f"{slug}.ics"), event)


@conditional_calendar
def session_calendar(request, slug, pk):
    event = visible_event(request, slug)
    session = get_object_or_404(selectors.agenda_sessions(event), pk=pk)
    body = calendars.agenda_calendar(event, [session])
    return public(calendar_response(body, f"{slug}-session-{pk}.ics"), event)
