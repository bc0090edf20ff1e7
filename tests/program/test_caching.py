"""Cached agenda, speakers page and agenda.ics: the same bytes as a fresh render, and never stale after an edit."""

import datetime as dt
import re

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.test import override_settings
from django.urls import reverse
from icalendar import Calendar

from program import caching, content
from program.middleware import _same_for_everyone
from program.models import Person, Role
from program.views import AgendaView
from tests.factories import (
    EventFactory,
    EventRoleFactory,
    PersonFactory,
    RecordingFactory,
    RegistrationFactory,
    SessionFactory,
    SessionPersonFactory,
    StaffFactory,
    TalkFactory,
    TalkSpeakerFactory,
    UserFactory,
)


@pytest.fixture
def event(db):
    event = EventFactory(agenda_note="Sample agenda")
    start = dt.datetime.combine(event.start_date, dt.time(9), event.tzinfo)
    for index in range(3):
        session = SessionFactory(
            event=event,
            title=f"Session {index}",
            start=start + dt.timedelta(hours=index),
            end=start + dt.timedelta(hours=index, minutes=50),
        )
        SessionPersonFactory(session=session, person__name=f"Chair {index}")
        talk = TalkFactory(session=session, title=f"Talk {index}")
        TalkSpeakerFactory(talk=talk, person__name=f"Speaker {index}")
    EventRoleFactory(event=event, role=Role.PLANNING_COMMITTEE, person__name="Committee Member")
    return event


def url(name, event):
    return reverse(f"program:{name}", kwargs={"slug": event.slug})


def page(client, name, event) -> str:
    response = client.get(url(name, event))
    assert response.status_code == 200
    return response.content.decode()


def without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def committed(django_capture_on_commit_callbacks, change) -> None:
    """Make an organizer's edit in a transaction and commit it, as the admin does."""
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        change()


# The cached pages are the pages.


@pytest.mark.parametrize("who", ["visitor", "attendee", "organizer"])
def test_cached_agenda_and_speakers_pages_match_a_fresh_render(client, event, who):
    user = {"visitor": None, "attendee": UserFactory(), "organizer": StaffFactory()}[who]
    if user is not None:
        client.force_login(user)
    for name in ("agenda", "speakers"):
        missed = client.get(url(name, event))
        hit = client.get(url(name, event))
        with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}):
            fresh = client.get(url(name, event))

        assert missed.status_code == hit.status_code == fresh.status_code == 200
        expected = without_csrf(fresh.content.decode())
        assert f"<h1>{name.capitalize()}</h1>" in expected
        assert without_csrf(missed.content.decode()) == expected
        assert without_csrf(hit.content.decode()) == expected


def test_each_visitor_gets_their_own_header_around_the_cached_content(client, event):
    page(client, "agenda", event)  # a visitor fills the cache
    client.force_login(UserFactory(email="ada@example.org"))

    html = page(client, "agenda", event)

    assert "ada@example.org" in html
    assert "Log out" in html
    assert "Organizer admin" not in html
    client.force_login(StaffFactory())
    assert "Organizer admin" in page(client, "agenda", event)
    client.logout()
    html = page(client, "agenda", event)
    assert "ada@example.org" not in html
    assert "Log in" in html


def test_visitors_without_a_cookie_get_the_kept_page_without_a_query(client, event, django_assert_num_queries):
    for name in ("agenda", "speakers", "agenda-calendar"):
        first = client.get(url(name, event))
        with django_assert_num_queries(0):
            again = client.get(url(name, event))
        assert again.content == first.content
        assert again["Content-Type"] == first["Content-Type"]


def test_visitors_with_a_cookie_get_their_page_around_the_kept_content_without_a_query(
    client, event, django_assert_num_queries
):
    client.cookies["csrftoken"] = "a" * 32
    for name in ("agenda", "speakers"):
        page(client, name, event)
        with django_assert_num_queries(0):  # the event's row and the content come from the cache
            page(client, name, event)


def test_a_page_that_sets_a_cookie_is_not_kept_for_everyone(client, event, monkeypatch):
    from django.middleware.csrf import get_token

    original = AgendaView.get_context_data

    def with_a_csrf_token(view, **kwargs):
        get_token(view.request)  # as a form in the page would
        return original(view, **kwargs)

    monkeypatch.setattr(AgendaView, "get_context_data", with_a_csrf_token)
    first = client.get(url("agenda", event))
    assert "csrftoken" in first.cookies
    assert "private" in first["Cache-Control"]
    client.cookies.clear()

    again = client.get(url("agenda", event))

    assert "csrftoken" in again.cookies  # rendered again with its own token, not served from the cache


def test_an_unpublished_event_is_never_kept_for_visitors(client, event, django_capture_on_commit_callbacks):
    page(client, "agenda", event)
    page(client, "agenda-calendar", event)
    event.is_published = False
    committed(django_capture_on_commit_callbacks, event.save)

    assert client.get(url("agenda", event)).status_code == 404
    assert client.get(url("agenda-calendar", event)).status_code == 404
    client.force_login(StaffFactory())
    preview = client.get(url("agenda-calendar", event))
    assert preview.status_code == 200
    assert "private" in preview["Cache-Control"]
    client.logout()
    client.cookies.clear()
    assert client.get(url("agenda-calendar", event)).status_code == 404


# Responses kept whole and served before Django's request path (program.middleware).


@pytest.fixture
def views_run(monkeypatch):
    """Each view of the event's pages and agenda.ics that runs reads what it shows through program.content."""
    calls = []
    for name in ("agenda_content", "speakers_content", "published_agenda_ics"):
        original = getattr(content, name)

        def counted(slug, original=original):
            calls.append(slug)
            return original(slug)

        monkeypatch.setattr(content, name, counted)
    return calls


@pytest.mark.parametrize("name", ["agenda", "speakers", "agenda-calendar"])
def test_a_visitor_without_a_cookie_is_answered_from_the_kept_response_with_the_same_headers(
    client, event, views_run, name
):
    first = client.get(url(name, event))
    assert views_run == [event.slug]

    again = client.get(url(name, event))

    assert views_run == [event.slug]
    assert again.content == first.content
    assert dict(again.items()) == dict(first.items())
    assert "Content-Security-Policy" in again if name != "agenda-calendar" else "Content-Disposition" in again


def test_a_query_string_or_a_cookie_is_answered_by_the_view(client, event, views_run):
    client.get(url("agenda", event))

    client.get(url("agenda", event) + "?utm_source=newsletter")
    client.cookies["csrftoken"] = "a" * 32
    client.get(url("agenda", event))

    assert views_run == [event.slug] * 3


def test_the_agenda_calendar_which_reads_nothing_of_the_visitors_is_kept_for_a_visitor_with_a_cookie_too(
    client, event, views_run
):
    first = client.get(url("agenda-calendar", event))
    client.force_login(UserFactory())

    again = client.get(url("agenda-calendar", event))

    assert views_run == [event.slug]
    assert again.content == first.content


def test_an_unpublished_agenda_calendar_an_organizer_previews_is_not_kept_for_anyone(client, event, views_run):
    event.is_published = False
    event.save()
    client.force_login(StaffFactory())
    assert client.get(url("agenda-calendar", event)).status_code == 200
    assert client.get(url("agenda-calendar", event)).status_code == 200
    client.logout()
    client.cookies.clear()

    assert client.get(url("agenda-calendar", event)).status_code == 404
    assert views_run == [event.slug] * 3


def test_a_kept_response_answers_a_matching_etag_with_a_304(client, event):
    first = client.get(url("agenda", event))
    client.get(url("agenda", event))  # from the kept response

    again = client.get(url("agenda", event), HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304


def test_a_request_for_a_host_not_allowed_is_refused_before_the_kept_response(client, event):
    client.get(url("agenda-calendar", event))

    assert client.get(url("agenda-calendar", event), HTTP_HOST="attacker.example").status_code == 400


def test_only_a_success_that_sets_no_cookie_and_varies_on_nothing_but_the_cookie_is_kept_for_everyone():
    def response(status=200, vary=None, cookie=False):
        made = HttpResponse("page", status=status, headers={"Vary": vary} if vary else None)
        if cookie:
            made.set_cookie("sessionid", "x")
        return made

    assert _same_for_everyone(response())
    assert _same_for_everyone(response(vary="Cookie"))
    assert not _same_for_everyone(response(vary="Cookie, Accept-Language"))
    assert not _same_for_everyone(response(cookie=True))
    assert not _same_for_everyone(response(status=404))


# HTTP caching: validators from the event's version, and who may keep what.


@pytest.mark.parametrize("name", ["agenda-calendar", "agenda", "speakers"])
def test_a_matching_etag_gets_a_304_without_a_body(client, event, name, django_assert_num_queries):
    first = client.get(url(name, event))
    assert first.status_code == 200

    with django_assert_num_queries(0):
        again = client.get(url(name, event), HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


def test_a_matching_last_modified_gets_a_304(client, event):
    first = client.get(url("agenda-calendar", event))

    again = client.get(url("agenda-calendar", event), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])

    assert again.status_code == 304


@pytest.mark.parametrize("name", ["agenda-calendar", "agenda", "speakers"])
def test_after_an_edit_the_old_etag_gets_the_new_body(client, event, name, django_capture_on_commit_callbacks):
    first = client.get(url(name, event))
    session = event.sessions.get(title="Session 1")

    def rename():
        session.title = "Renamed session"
        session.save()

    committed(django_capture_on_commit_callbacks, rename)
    again = client.get(url(name, event), HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    assert "Renamed session" in again.content.decode().replace("\r\n ", "")


def test_agenda_calendar_is_public_for_a_short_while(client, event):
    response = client.get(url("agenda-calendar", event))

    assert cache_control(response) == {"public": True, "max-age": "60"}


def test_pages_are_public_for_visitors_without_a_cookie_and_vary_on_it(client, event):
    for name in ("agenda", "speakers"):
        response = client.get(url(name, event))
        assert cache_control(response) == {"public": True, "max-age": "60"}
        assert "Cookie" in response["Vary"]


def test_pages_that_show_who_is_logged_in_are_private_and_validated_by_their_own_bytes(client, event):
    version_etag = client.get(url("agenda", event))["ETag"]
    client.force_login(UserFactory(email="ada@example.org"))
    for name in ("agenda", "speakers"):
        response = client.get(url(name, event))
        assert "ada@example.org" in response.content.decode()
        assert cache_control(response) == {"private": True, "no-cache": True}
        assert "Last-Modified" not in response
        # ConditionalGetMiddleware's hash of the page: a 304 only for these very bytes (a new CSRF token each time).
        assert response["ETag"] != version_etag
        assert client.get(url(name, event), HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 200


def cache_control(response) -> dict:
    directives = {}
    for part in response["Cache-Control"].split(","):
        key, _, value = part.strip().partition("=")
        directives[key] = value or True
    return directives


def test_pages_are_served_when_the_cache_is_down(client, event, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }

    assert "Session 1" in page(client, "agenda", event)
    assert "Speaker 1" in page(client, "speakers", event)
    assert b"Session 1" in client.get(url("agenda-calendar", event)).content


# An organizer's edit shows at once.


@pytest.mark.parametrize("cookie", [False, True], ids=["no cookie", "with a cookie"])
def test_a_renamed_session_shows_at_once_on_the_agenda_and_in_agenda_ics(
    client, event, django_capture_on_commit_callbacks, cookie
):
    if cookie:
        client.cookies["csrftoken"] = "a" * 32
    page(client, "agenda", event)
    page(client, "agenda-calendar", event)
    session = event.sessions.get(title="Session 1")

    def rename():
        session.title = "Renamed session"
        session.save()

    committed(django_capture_on_commit_callbacks, rename)

    assert "Renamed session" in page(client, "agenda", event)
    calendar = Calendar.from_ical(client.get(url("agenda-calendar", event)).content)
    assert "Renamed session" in [str(vevent["SUMMARY"]) for vevent in calendar.walk("VEVENT")]


def test_a_renamed_person_shows_at_once_on_the_speakers_page_and_the_agenda(
    client, event, django_capture_on_commit_callbacks
):
    page(client, "agenda", event)
    page(client, "speakers", event)
    person = Person.objects.get(name="Speaker 2")

    def rename():
        person.name = "Grace Renamed"
        person.save()

    committed(django_capture_on_commit_callbacks, rename)

    assert "Grace Renamed" in page(client, "speakers", event)
    assert "Grace Renamed" in page(client, "agenda", event)
    assert "Speaker 2" not in page(client, "agenda", event)


def test_a_session_moved_to_another_event_leaves_the_first_agenda(client, event, django_capture_on_commit_callbacks):
    other = EventFactory()
    page(client, "agenda", event)
    page(client, "agenda", other)
    session = event.sessions.get(title="Session 0")

    def move():
        session.event = other
        session.save()

    committed(django_capture_on_commit_callbacks, move)

    assert "Session 0" not in page(client, "agenda", event)
    assert "Session 0" in page(client, "agenda", other)


def test_a_talk_deleted_leaves_the_agenda_and_its_speaker_the_speakers_page(
    client, event, django_capture_on_commit_callbacks
):
    page(client, "agenda", event)
    page(client, "speakers", event)

    committed(django_capture_on_commit_callbacks, lambda: event.sessions.get(title="Session 1").talks.get().delete())

    assert "Talk 1" not in page(client, "agenda", event)
    assert "Speaker 1" not in page(client, "speakers", event)


def test_what_a_request_kept_from_the_rows_before_an_edit_is_not_served_after_it(
    client, event, django_capture_on_commit_callbacks
):
    _, versions = caching.read(event.slug, "agenda")  # a request in flight read the versions, then the old rows

    def edit():
        event.agenda_note = "Room change: the keynote moves to Hall B"
        event.save()

    committed(django_capture_on_commit_callbacks, edit)
    caching.keep(event.slug, "agenda", versions, "rendered from the old rows")

    assert "Room change: the keynote moves to Hall B" in page(client, "agenda", event)
    client.cookies["csrftoken"] = "a" * 32
    assert "Room change: the keynote moves to Hall B" in page(client, "agenda", event)


def test_what_is_kept_during_the_edit_is_not_used_after_the_commit(event, django_capture_on_commit_callbacks):
    session = event.sessions.get(title="Session 2")

    with django_capture_on_commit_callbacks() as callbacks:
        session.title = "Committed title"
        session.save()
        # Until the commit, other connections read the old rows, and one may keep what it built from them.
        caching.cached(event.slug, "probe", lambda: "built from the old rows")
    for callback in callbacks:
        callback()

    assert caching.cached(event.slug, "probe", lambda: "built again")[0] == "built again"


def test_a_new_version_is_warmed_once_the_edit_commits(event, django_capture_on_commit_callbacks):
    session = event.sessions.get(title="Session 1")

    def rename():
        session.title = "Renamed session"
        session.save()

    committed(django_capture_on_commit_callbacks, rename)

    assert "Renamed session" in caching.read(event.slug, "agenda")[0]
    assert "Renamed session" in caching.read(event.slug, "speakers")[0]
    assert b"Renamed session" in caching.read(event.slug, "agenda.ics")[0]


def _kept_is_stale_after(django_capture_on_commit_callbacks, event, change) -> bool:
    caching.cached(event.slug, "probe", lambda: "before")
    committed(django_capture_on_commit_callbacks, change)
    return caching.cached(event.slug, "probe", lambda: "after")[0] == "after"


def _first_talk(event):
    return event.sessions.get(title="Session 0").talks.get()


EDITS = {
    "event saved": lambda event: event.save(),
    "session added": lambda event: SessionFactory(event=event),
    "session deleted": lambda event: event.sessions.get(title="Session 0").delete(),
    "session person added": lambda event: SessionPersonFactory(session=event.sessions.first()),
    "session person deleted": lambda event: event.sessions.get(title="Session 0").people.get().delete(),
    "talk renamed": lambda event: _first_talk(event).save(),
    "talk speaker added": lambda event: TalkSpeakerFactory(talk=_first_talk(event)),
    "talk speaker deleted": lambda event: _first_talk(event).speaker_links.get().delete(),
    "speaker added with talk.speakers.add": lambda event: _first_talk(event).speakers.add(PersonFactory()),
    "speakers cleared with talk.speakers.clear": lambda event: _first_talk(event).speakers.clear(),
    "talk added with person.talks.add": lambda event: PersonFactory().talks.add(_first_talk(event)),
    "roster role added": lambda event: EventRoleFactory(event=event, role=Role.SPEAKER),
    "roster role deleted": lambda event: event.roles.get(person__name="Committee Member").delete(),
    "person renamed": lambda event: Person.objects.get(name="Chair 1").save(),
    "recording published": lambda event: RecordingFactory(session=event.sessions.first()),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_every_edit_of_what_the_pages_show_makes_a_new_version(event, django_capture_on_commit_callbacks, edit):
    assert _kept_is_stale_after(django_capture_on_commit_callbacks, event, lambda: EDITS[edit](event))


def test_an_edit_of_one_event_keeps_what_is_kept_for_another(event, django_capture_on_commit_callbacks):
    other = EventFactory()

    assert not _kept_is_stale_after(django_capture_on_commit_callbacks, other, lambda: event.sessions.first().save())


def test_a_new_address_leaves_nothing_kept_at_the_old_one(client, event, django_capture_on_commit_callbacks):
    old = event.slug
    assert client.get(f"/events/{old}/agenda.ics").status_code == 200
    assert client.get(f"/events/{old}/agenda/").status_code == 200
    event.slug = "renamed-workshop"
    committed(django_capture_on_commit_callbacks, event.save)

    assert client.get(f"/events/{old}/agenda.ics").status_code == 404
    assert client.get(f"/events/{old}/agenda/").status_code == 404


def test_a_rolled_back_edit_leaves_the_pages_as_they_were(client, event, django_capture_on_commit_callbacks):
    page(client, "agenda", event)

    def rename_then_fail():
        session = event.sessions.get(title="Session 1")
        session.title = "Never committed"
        session.save()
        raise RuntimeError("the organizer's form failed")

    with pytest.raises(RuntimeError):
        committed(django_capture_on_commit_callbacks, rename_then_fail)

    html = page(client, "agenda", event)
    assert "Session 1" in html
    assert "Never committed" not in html


def test_an_event_with_registrations_can_be_deleted(client, event, django_capture_on_commit_callbacks):
    RegistrationFactory(event=event)
    assert client.get(url("agenda-calendar", event)).status_code == 200

    committed(django_capture_on_commit_callbacks, event.delete)

    assert client.get(url("agenda-calendar", event)).status_code == 404
