"""Public pages of an event: home, agenda, speakers, committee, recordings, calendars."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.generic import ListView, TemplateView

from . import calendars, selectors
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

    @cached_property
    def event(self) -> Event:
        event = selectors.event_for_visitor(slug=self.kwargs["slug"], user=self.request.user)
        if event is None:
            raise Http404("No such event.")
        return event

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["event"] = self.event
        return context


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


class AgendaView(EventPageMixin, TemplateView):
    template_name = "program/agenda.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["days"] = selectors.agenda_days(self.event)
        return context


class SessionDetailView(EventPageMixin, TemplateView):
    template_name = "program/session_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["session"] = get_object_or_404(self.event.sessions.for_agenda(), pk=self.kwargs["pk"])
        context["recordings"] = selectors.published_recordings(self.event).filter(session=context["session"])
        return context


class SpeakersView(EventPageMixin, TemplateView):
    template_name = "program/speakers.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["speakers"] = selectors.speakers(self.event)
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


def _calendar_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def agenda_calendar(request, slug):
    event = selectors.event_for_visitor(slug=slug, user=request.user)
    if event is None:
        raise Http404("No such event.")
    body = calendars.agenda_calendar(event, event.sessions.for_agenda(), base_url=request.build_absolute_uri("/"))
    return _calendar_response(body, f"{event.slug}.ics")


def session_calendar(request, slug, pk):
    event = selectors.event_for_visitor(slug=slug, user=request.user)
    if event is None:
        raise Http404("No such event.")
    session = get_object_or_404(event.sessions.for_agenda(), pk=pk)
    body = calendars.agenda_calendar(event, [session], base_url=request.build_absolute_uri("/"))
    return _calendar_response(body, f"{event.slug}-session-{session.pk}.ics")
