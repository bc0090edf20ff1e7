"""Public event pages: home redirect, overview, agenda, speakers, committee, recordings."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from program.demo import PLANNING_COMMITTEE, WORKING_GROUP
from program.models import Session
from tests.factories import (
    EventFactory,
    EventRoleFactory,
    RecordingFactory,
    SessionFactory,
    SessionPersonFactory,
    TalkFactory,
    TalkSpeakerFactory,
)


def text_of(response) -> str:
    """The page's visible text with tags stripped and whitespace folded."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#x27;", "'").replace("&amp;", "&").split())


@pytest.fixture
def brain(demo):
    return demo["brain-neuroai-2024"]


def test_root_goes_to_the_next_upcoming_published_event(client, db):
    EventFactory(slug="past", start_date=dt.date(2020, 1, 1), end_date=dt.date(2020, 1, 2))
    EventFactory(slug="later", start_date=dt.date(2099, 6, 1), end_date=dt.date(2099, 6, 2))
    EventFactory(slug="sooner", start_date=dt.date(2098, 6, 1), end_date=dt.date(2098, 6, 2))
    EventFactory(slug="hidden", start_date=dt.date(2097, 6, 1), end_date=dt.date(2097, 6, 2), is_published=False)

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/events/sooner/"


def test_root_goes_to_the_latest_event_when_none_is_upcoming(client, db):
    EventFactory(slug="older", start_date=dt.date(2020, 1, 1), end_date=dt.date(2020, 1, 2))
    EventFactory(slug="newer", start_date=dt.date(2021, 1, 1), end_date=dt.date(2021, 1, 2))

    assert client.get("/")["Location"] == "/events/newer/"


def test_unpublished_event_is_hidden_from_visitors_and_shown_to_staff(client, staff):
    event = EventFactory(is_published=False)
    url = reverse("program:event-detail", kwargs={"slug": event.slug})

    assert client.get(url).status_code == 404
    client.force_login(staff)
    response = client.get(url)
    assert response.status_code == 200
    assert "Not published: visible to organizers only" in text_of(response)


def test_event_home_shows_dates_venue_virtual_option_and_contact(client, brain):
    response = client.get(brain.get_absolute_url())

    page = text_of(response)
    assert "November 12–13, 2024 · NIH Campus, Bethesda, MD or virtual" in page
    assert "BRAINNeuroAIWorkshop@ninds.nih.gov" in page
    assert "All times EST (America/New_York)" in page
    assert "This meeting has taken place." in page


def test_committee_page_lists_every_member_with_affiliation_by_group(client, brain):
    response = client.get(reverse("program:committee", kwargs={"slug": brain.slug}))

    page = text_of(response)
    assert page.index("Scientific Planning Committee") < page.index("NIH BRAIN NeuroAI Working Group")
    for name, affiliation in PLANNING_COMMITTEE + WORKING_GROUP:
        assert f"{name} {affiliation}" in page
    assert page.count("NINDS") == 8


def test_agenda_shows_sessions_by_day_in_the_event_timezone(client, brain):
    response = client.get(reverse("program:agenda", kwargs={"slug": brain.slug}))

    page = text_of(response)
    assert "Day 1: Tuesday, November 12, 2024" in page
    assert "Day 2: Wednesday, November 13, 2024" in page
    # 9:20 in Bethesda is 14:20 UTC in November.
    keynote = Session.objects.get(event=brain, kind="keynote")
    assert keynote.start == dt.datetime(2024, 11, 12, 14, 20, tzinfo=dt.UTC)
    assert "9:20 – 10:20 AM EST Keynote · Main auditorium Keynote: What brains can teach learning machines" in page
    assert "Sample agenda" in page
    assert page.index("Day 1: Tuesday") < page.index("Session 1: Neural circuits") < page.index("Day 2: Wednesday")


def test_agenda_shows_a_chicago_event_in_central_time(client, brain):
    response = client.get(reverse("program:agenda", kwargs={"slug": "sfn-2024-ai-workshop"}))

    page = text_of(response)
    assert "12:00 – 2:00 PM CDT" in page
    assert "MCP Room S403" in page


def test_agenda_shows_streaming_room_talks_and_speakers(client, db):
    event = EventFactory()
    session = SessionFactory(event=event, title="Vision", room="Room B", is_streamed=True, is_recorded=True)
    SessionPersonFactory(session=session, person__name="Mo Derator", person__affiliation="Mod U")
    talk = TalkFactory(session=session, title="Seeing in the dark")
    TalkSpeakerFactory(talk=talk, person__name="Ann Speaker", person__affiliation="Speaker Inst")
    SessionFactory(
        event=event, title="Studio only", is_streamed=False, start=session.end, end=session.end + dt.timedelta(hours=1)
    )

    page = text_of(client.get(reverse("program:agenda", kwargs={"slug": event.slug})))

    assert "Moderator: Mo Derator, Mod U" in page
    assert "Seeing in the dark — Ann Speaker (Speaker Inst)" in page
    assert "Streamed live Recorded" in page
    assert "Studio only In person only" in page


def test_agenda_never_shows_private_join_links(client, db):
    event = EventFactory(virtual_join_url="https://zoom.example.org/j/secret-event")
    SessionFactory(event=event, stream_url="https://zoom.example.org/j/secret-session")

    for name in ("program:event-detail", "program:agenda", "program:speakers"):
        body = client.get(reverse(name, kwargs={"slug": event.slug})).content.decode()
        assert "secret-event" not in body
        assert "secret-session" not in body


def test_agenda_query_count_does_not_grow_with_sessions(client, db, django_assert_max_num_queries):
    def agenda_queries(event):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("program:agenda", kwargs={"slug": event.slug})).status_code == 200
        return len(queries)

    def build(sessions):
        event = EventFactory()
        start = dt.datetime.combine(event.start_date, dt.time(8), event.tzinfo)
        for index in range(sessions):
            session = SessionFactory(
                event=event, start=start + dt.timedelta(hours=index), end=start + dt.timedelta(hours=index, minutes=50)
            )
            SessionPersonFactory(session=session)
            TalkSpeakerFactory(talk=TalkFactory(session=session))
        return event

    assert agenda_queries(build(2)) == agenda_queries(build(12))


def test_speakers_page_lists_speakers_moderators_and_panelists_with_sessions(client, brain):
    page = text_of(client.get(reverse("program:speakers", kwargs={"slug": "nasem-neuroai-2024"})))

    assert "Michael Littman NSF Moderator Session 5: Regulatory & Policy Advocacy and Engagement" in page
    for name, affiliation in [
        ("John Ngai", "BRAIN Initiative"),
        ("Nita Farahany", "Duke University"),
        ("Eva Weicken", "Fraunhofer HHI"),
        ("Wade Shen", "White House OSTP; ARPA-H"),
    ]:
        assert f"{name} {affiliation} Panelist" in page


def test_recordings_page_shows_only_published_recordings(client, db):
    event = EventFactory()
    session = SessionFactory(event=event, title="Keynote")
    RecordingFactory(
        session=session,
        title="Public one",
        video_url="https://videos.example.org/public",
        consent_given=True,
        consent_recorded_at=timezone.now(),
        is_published=True,
    )
    RecordingFactory(session=session, title="Awaiting consent", video_url="https://videos.example.org/private")

    response = client.get(reverse("program:recordings", kwargs={"slug": event.slug}))

    body = response.content.decode()
    assert "https://videos.example.org/public" in body
    assert "Awaiting consent" not in body
    assert "https://videos.example.org/private" not in body


def test_demo_recordings_include_one_waiting_for_consent(client, brain):
    body = client.get(reverse("program:recordings", kwargs={"slug": brain.slug})).content.decode()

    assert body.count("videos.example.org/brain-neuroai-2024/") == 4
    assert "Panel: Shared challenges" not in text_of(
        client.get(reverse("program:recordings", kwargs={"slug": brain.slug}))
    )


def test_session_page_links_back_to_agenda_and_calendar(client, db):
    session = SessionFactory(title="Deep dive")

    response = client.get(session.get_absolute_url())

    body = response.content.decode()
    assert response.status_code == 200
    assert reverse("program:session-calendar", kwargs={"slug": session.event.slug, "pk": session.pk}) in body
    assert f"#session-{session.pk}" in body


def test_session_of_another_event_is_not_found(client, db):
    session = SessionFactory()
    other = EventFactory()

    response = client.get(reverse("program:session-detail", kwargs={"slug": other.slug, "pk": session.pk}))

    assert response.status_code == 404


def test_committee_group_name_defaults_to_the_role(client, db):
    role = EventRoleFactory(role="organizer", person__name="Org Anizer")

    page = text_of(client.get(reverse("program:committee", kwargs={"slug": role.event.slug})))

    assert "Organizer Org Anizer Example University" in page


def test_dates_on_pages_are_in_the_event_timezone_not_the_sites(client, db):
    event = EventFactory(timezone="Asia/Tokyo", start_date=dt.date(2030, 11, 13), end_date=dt.date(2030, 11, 13))
    # 20:00 UTC on the 12th is 05:00 on the 13th in Tokyo, and still the 12th in New York.
    session = SessionFactory(
        event=event,
        start=dt.datetime(2030, 11, 12, 20, tzinfo=dt.UTC),
        end=dt.datetime(2030, 11, 12, 21, tzinfo=dt.UTC),
    )

    page = text_of(client.get(session.get_absolute_url()))

    assert "Wednesday, November 13, 2030 · 5:00 – 6:00 AM JST" in page


def test_agenda_links_each_session_and_its_calendar_as_reverse_does(client, db):
    event = EventFactory(slug="neuroai-2030-9876543210")
    sessions = [
        SessionFactory(event=event, start=start, end=start + dt.timedelta(minutes=50))
        for start in (dt.datetime.combine(event.start_date, dt.time(hour), event.tzinfo) for hour in (9, 10))
    ]

    body = client.get(reverse("program:agenda", kwargs={"slug": event.slug})).content.decode()
    speakers = [SessionPersonFactory(session=session).person for session in sessions]
    speakers_body = client.get(reverse("program:speakers", kwargs={"slug": event.slug})).content.decode()

    for session in sessions:
        kwargs = {"slug": event.slug, "pk": session.pk}
        assert f'href="{reverse("program:session-detail", kwargs=kwargs)}"' in body
        assert f'href="{reverse("program:session-calendar", kwargs=kwargs)}"' in body
    assert all(f'href="{session.get_absolute_url()}"' in speakers_body for session in sessions)
    assert all(speaker.name in speakers_body for speaker in speakers)


def test_speakers_page_lists_a_person_once_with_every_part_they_have(client, db):
    event = EventFactory()
    session = SessionFactory(event=event, title="Vision")
    person = SessionPersonFactory(session=session, part="chair", person__name="Ada Lovelace").person
    TalkSpeakerFactory(talk=TalkFactory(session=session), person=person)
    EventRoleFactory(event=event, person=person, role="panelist", affiliation="Analytical Engines Ltd")

    page = text_of(client.get(reverse("program:speakers", kwargs={"slug": event.slug})))

    assert page.count("Ada Lovelace") == 1
    assert "Ada Lovelace Analytical Engines Ltd Chair, Panelist, Speaker Vision" in page
