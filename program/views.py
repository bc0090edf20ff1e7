"""Public pages of an event: home, agenda, speakers, committee, recordings, calendars."""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import SafeString
from django.views.generic import ListView, TemplateView

from . import caching, calendars, content, selectors
from .http import calendar_response, event_or_404, for_cookieless_visitors, private, public, validated
from .middleware import offer
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
        return event_or_404(self.request, self.kwargs["slug"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["event"] = self.event
        return context


class CachedPageMixin(EventPageMixin):
    """A page whose content is the same for everyone (program.content) inside a header that says who is logged in.

    The page as visitors who send no cookie see it is the same for all of them: it is public, validated by the
    versions its content was built at, and offered to be kept whole (program.middleware). Everyone else gets the
    page rendered around the kept content, private.
    """

    def content_at(self, slug: str) -> tuple[SafeString, caching.Versions | None]:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        # The content and its versions first: the event's row, read next for the page around it, is no older.
        try:
            self.content, versions = self.content_at(self.kwargs["slug"])
        except Event.DoesNotExist:
            raise Http404("No such event.") from None
        response = super().get(request, *args, **kwargs).render()
        # An organizer's preview, or a page that gave its visitor a CSRF token (a form), is theirs alone.
        if request.COOKIES or request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or not self.event.is_published:
            return private(response)
        response = validated(for_cookieless_visitors(response), versions)
        return offer(response, caching.KeptAt(self.event.slug), versions)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "content": self.content}


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


class AgendaView(CachedPageMixin, TemplateView):
    template_name = "program/agenda.html"

    def content_at(self, slug):
        return content.agenda_content(slug)


class SpeakersView(CachedPageMixin, TemplateView):
    template_name = "program/speakers.html"

    def content_at(self, slug):
        return content.speakers_content(slug)


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


def agenda_calendar(request, slug):
    """The whole agenda as .ics, the same for everyone: kept at the event's version, and public while published."""
    body, versions = content.published_agenda_ics(slug)
    if body is not None:
        response = validated(public(calendar_response(body, f"{slug}.ics")), versions)
        return offer(response, caching.KeptAt(slug, whoever_asks=True), versions)
    event = event_or_404(request, slug)  # an organizer's preview of an unpublished event
    body = calendars.agenda_calendar(event, selectors.agenda_sessions(event))
    return private(calendar_response(body, f"{slug}.ics"))


def session_calendar(request, slug, pk):
    event = event_or_404(request, slug)
    session = get_object_or_404(selectors.agenda_sessions(event), pk=pk)
    response = calendar_response(calendars.agenda_calendar(event, [session]), f"{slug}-session-{pk}.ics")
    return public(response) if event.is_published else private(response)
