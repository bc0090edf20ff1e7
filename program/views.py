"""Public pages of an event: home, agenda, speakers, committee, recordings, calendars."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.generic import ListView, TemplateView

from . import caching, calendars, selectors
from .middleware import offer
from .models import Event
from .templatetags.program_tags import meridiems


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
    def _event_and_version(self) -> tuple[Event, int | None]:
        found = selectors.event_and_version_for_visitor(slug=self.kwargs["slug"], user=self.request.user)
        if found is None:
            raise Http404("No such event.")
        return found

    @property
    def event(self) -> Event:
        return self._event_and_version[0]

    @property
    def made_at(self) -> int | None:
        """The event's version that its row is no older than: what is rendered from it can be kept at it."""
        return self._event_and_version[1]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["event"] = self.event
        return context


def _offer_if_published(response, event: Event, made_at: int | None, *, whoever_asks: bool = False):
    """Offer a page of the event to be stored for everyone (see program.middleware): only a published event's,
    since organizers preview unpublished ones, and only when the version its row is no older than is known."""
    if event.is_published and made_at is not None:
        offer(response, caching.Versions(event.pk, made_at), whoever_asks=whoever_asks)
    return response


class CachedContentMixin:
    """Renders the page's content once per version of the event and reuses it (see program.caching).

    The content comes from `content_template` (Jinja2) and goes into the page's content block as
    `page_content`. The rest of the page, with the visitor's login state in the header, is rendered for
    each request; the whole page is offered to be stored for visitors who send no cookie, who all get the
    same page (see program.middleware).
    """

    content_template: str

    def content_context(self, event: Event) -> dict:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        return _offer_if_published(super().get(request, *args, **kwargs), self.event, self.made_at)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_content"] = caching.page_content(
            self.event, self.made_at, self.content_template, self.content_context
        )
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


class AgendaView(CachedContentMixin, EventPageMixin, TemplateView):
    template_name = "program/agenda.html"
    content_template = "program/agenda_content.jinja"

    def content_context(self, event: Event) -> dict:
        return {
            "days": selectors.agenda_days(event),
            "calendar_url": reverse("program:agenda-calendar", args=[event.slug]),
            "session_calendar_url": selectors.url_for_each_pk("program:session-calendar", event.slug),
            "am_pm": meridiems(),
        }


class SessionDetailView(EventPageMixin, TemplateView):
    template_name = "program/session_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["session"] = get_object_or_404(self.event.sessions.for_agenda(), pk=self.kwargs["pk"])
        context["recordings"] = selectors.published_recordings(self.event).filter(session=context["session"])
        return context


class SpeakersView(CachedContentMixin, EventPageMixin, TemplateView):
    template_name = "program/speakers.html"
    content_template = "program/speakers_content.jinja"

    def content_context(self, event: Event) -> dict:
        return {"speakers": selectors.speakers(event)}


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
    """The whole agenda as .ics: the same for everyone, so kept per host and offered to be stored whole."""
    found = selectors.event_and_version_for_visitor(slug=slug, user=request.user)
    if found is None:
        raise Http404("No such event.")
    event, made_at = found
    body = caching.agenda_calendar(event, made_at, base_url=request.build_absolute_uri("/"))
    return _offer_if_published(_calendar_response(body, f"{slug}.ics"), event, made_at, whoever_asks=True)


def session_calendar(request, slug, pk):
    event = selectors.event_for_visitor(slug=slug, user=request.user)
    if event is None:
        raise Http404("No such event.")
    sessions = selectors.agenda_sessions(event, pk=pk)
    if not sessions:
        raise Http404("No such session.")
    body = calendars.agenda_calendar(event, sessions, base_url=request.build_absolute_uri("/"))
    return _calendar_response(body, f"{event.slug}-session-{pk}.ics")
