import datetime as dt
import zoneinfo

import pytest
from auditlog.models import LogEntry

from program import services
from program.models import Event, EventRole, Recording, Role, Session, SessionPerson, Talk, TalkSpeaker
from tests.factories import (
    EventFactory,
    EventRoleFactory,
    PersonFactory,
    RecordingFactory,
    SessionFactory,
    SessionPersonFactory,
    TalkFactory,
    TalkSpeakerFactory,
)

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
UTC = dt.UTC
SLUG_MAX_LENGTH = Event._meta.get_field("slug").max_length


def local(moment: dt.datetime) -> tuple[dt.date, dt.time]:
    moment = moment.astimezone(NEW_YORK)
    return moment.date(), moment.time()


# --- Recordings ------------------------------------------------------------------------------------


def test_publish_recording_refused_without_consent_saves_nothing(staff):
    recording = RecordingFactory()

    with pytest.raises(services.PublishRefused) as refused:
        services.publish_recording(recording=recording, actor=staff)

    assert refused.value.reason == "Speaker consent has not been recorded."
    recording.refresh_from_db()
    assert (recording.is_published, recording.published_at) == (False, None)


def test_publish_refusal_names_the_recording_and_why(staff):
    recording = RecordingFactory()

    with pytest.raises(services.PublishRefused) as refused:
        services.publish_recording(recording=recording, actor=staff)

    assert refused.value.recording == recording
    assert str(refused.value) == f"Cannot publish “{recording}”: Speaker consent has not been recorded."


def test_record_consent_then_publish(staff):
    recording = RecordingFactory()

    services.record_consent(recording=recording, actor=staff, note="Signed release, 2030-11-01")
    services.publish_recording(recording=recording, actor=staff)

    recording = Recording.objects.get(pk=recording.pk)
    assert recording.consent_given is True
    assert recording.consent_recorded_by == staff
    assert recording.consent_recorded_at is not None
    assert recording.consent_note == "Signed release, 2030-11-01"
    assert recording.is_published is True
    assert recording.published_at >= recording.consent_recorded_at


def test_record_consent_twice_keeps_the_first_record(staff, user):
    recording = RecordingFactory()
    services.record_consent(recording=recording, actor=staff)
    first_time = Recording.objects.get(pk=recording.pk).consent_recorded_at

    services.record_consent(recording=recording, actor=user)

    recording.refresh_from_db()
    assert (recording.consent_recorded_by, recording.consent_recorded_at) == (staff, first_time)


def test_publish_twice_keeps_the_first_publication_time(staff):
    recording = RecordingFactory()
    services.record_consent(recording=recording, actor=staff)
    services.publish_recording(recording=recording, actor=staff)
    first = Recording.objects.get(pk=recording.pk).published_at

    services.publish_recording(recording=recording, actor=staff)

    assert Recording.objects.get(pk=recording.pk).published_at == first


def test_withdraw_consent_unpublishes(staff):
    recording = RecordingFactory()
    services.record_consent(recording=recording, actor=staff)
    services.publish_recording(recording=recording, actor=staff)

    services.withdraw_consent(recording=recording, actor=staff)

    recording = Recording.objects.get(pk=recording.pk)
    assert (recording.consent_given, recording.consent_recorded_by, recording.consent_recorded_at) == (
        False,
        None,
        None,
    )
    assert (recording.is_published, recording.published_at) == (False, None)


def test_unpublish_recording(staff):
    recording = RecordingFactory()
    services.record_consent(recording=recording, actor=staff)
    services.publish_recording(recording=recording, actor=staff)

    services.unpublish_recording(recording=recording, actor=staff)

    assert Recording.objects.filter(pk=recording.pk, is_published=False, published_at=None).exists()


def test_services_attribute_audit_entries_to_the_actor(staff):
    recording = RecordingFactory()

    services.record_consent(recording=recording, actor=staff)

    entry = LogEntry.objects.get_for_object(recording).get(action=LogEntry.Action.UPDATE)
    assert entry.actor == staff
    assert set(entry.changes_dict) == {"consent_given", "consent_recorded_by", "consent_recorded_at"}


# --- Duplicating an event --------------------------------------------------------------------------


@pytest.fixture
def autumn_event():
    """Tuesday and Wednesday before the clocks go back in New York (EDT, UTC-4)."""
    event = EventFactory(
        slug="neuroai-2030",
        name="NeuroAI Workshop 2030",
        start_date=dt.date(2030, 10, 29),
        end_date=dt.date(2030, 10, 30),
        registration_opens=dt.datetime(2030, 9, 2, 9, 0, tzinfo=NEW_YORK),
        registration_closes=dt.datetime(2030, 10, 25, 17, 0, tzinfo=NEW_YORK),
        virtual_join_url="https://zoom.example.org/j/123",
        is_published=True,
    )
    EventRoleFactory(event=event, role=Role.PLANNING_COMMITTEE, title="Co-chair", order=1)
    EventRoleFactory(event=event, role=Role.WORKING_GROUP, group_name="NIH BRAIN NeuroAI Working Group")
    keynote = SessionFactory(
        event=event,
        title="Keynote",
        start=dt.datetime(2030, 10, 29, 9, 0, tzinfo=NEW_YORK),
        end=dt.datetime(2030, 10, 29, 10, 0, tzinfo=NEW_YORK),
        stream_url="https://zoom.example.org/j/456",
    )
    SessionPersonFactory(session=keynote)
    panel = SessionFactory(
        event=event,
        title="Panel",
        start=dt.datetime(2030, 10, 30, 14, 0, tzinfo=NEW_YORK),
        end=dt.datetime(2030, 10, 30, 15, 30, tzinfo=NEW_YORK),
    )
    talk = TalkFactory(
        session=panel,
        title="Learning rules",
        start=dt.datetime(2030, 10, 30, 14, 0, tzinfo=NEW_YORK),
        end=dt.datetime(2030, 10, 30, 14, 20, tzinfo=NEW_YORK),
    )
    TalkSpeakerFactory(talk=talk, order=0)
    TalkSpeakerFactory(talk=talk, order=1)
    RecordingFactory(session=keynote)
    return event


def test_duplicate_event_copies_roster_and_agenda_unpublished(autumn_event, staff):
    copy = services.duplicate_event(event=autumn_event, new_start_date=dt.date(2031, 11, 4), actor=staff)

    assert (copy.slug, copy.name, copy.is_published) == ("neuroai-2031", "NeuroAI Workshop 2031", False)
    assert (copy.start_date, copy.end_date) == (dt.date(2031, 11, 4), dt.date(2031, 11, 5))
    assert copy.virtual_join_url == ""
    assert list(copy.roles.values_list("person_id", "role", "group_name", "title", "order")) == list(
        autumn_event.roles.values_list("person_id", "role", "group_name", "title", "order")
    )
    assert list(copy.sessions.values_list("title", "room", "kind", "stream_url")) == [
        ("Keynote", "Main auditorium", "talks", ""),
        ("Panel", "Main auditorium", "talks", ""),
    ]
    keynote = copy.sessions.get(title="Keynote")
    original_keynote = autumn_event.sessions.get(title="Keynote")
    assert list(keynote.people.values_list("person_id", "part")) == list(
        original_keynote.people.values_list("person_id", "part")
    )
    talk = Talk.objects.get(session__event=copy)
    original_talk = Talk.objects.get(session__event=autumn_event)
    assert talk.title == "Learning rules"
    assert list(talk.speaker_links.values_list("person_id", "order")) == list(
        original_talk.speaker_links.values_list("person_id", "order")
    )
    assert Recording.objects.filter(session__event=copy).count() == 0


def test_duplicate_event_keeps_local_wall_clock_across_dst(autumn_event, staff):
    # 2030-10-29 is EDT (UTC-4); 2031-11-04 is EST (UTC-5): a plain timedelta would move 9:00 to 8:00.
    copy = services.duplicate_event(event=autumn_event, new_start_date=dt.date(2031, 11, 4), actor=staff)

    keynote = copy.sessions.get(title="Keynote")
    panel = copy.sessions.get(title="Panel")
    talk = Talk.objects.get(session=panel)
    assert (local(keynote.start), local(keynote.end)) == (
        (dt.date(2031, 11, 4), dt.time(9, 0)),
        (dt.date(2031, 11, 4), dt.time(10, 0)),
    )
    assert keynote.start == dt.datetime(2031, 11, 4, 14, 0, tzinfo=UTC)
    assert (local(panel.start), local(panel.end)) == (
        (dt.date(2031, 11, 5), dt.time(14, 0)),
        (dt.date(2031, 11, 5), dt.time(15, 30)),
    )
    assert (local(talk.start), local(talk.end)) == (
        (dt.date(2031, 11, 5), dt.time(14, 0)),
        (dt.date(2031, 11, 5), dt.time(14, 20)),
    )
    assert local(copy.registration_opens) == (dt.date(2031, 9, 8), dt.time(9, 0))
    assert local(copy.registration_closes) == (dt.date(2031, 10, 31), dt.time(17, 0))


def test_duplicate_event_leaves_the_original_untouched(autumn_event, staff):
    before = {
        "event": Event.objects.filter(pk=autumn_event.pk).values().get(),
        "roles": list(EventRole.objects.filter(event=autumn_event).values()),
        "sessions": list(Session.objects.filter(event=autumn_event).values()),
        "people": list(SessionPerson.objects.filter(session__event=autumn_event).values()),
        "talks": list(Talk.objects.filter(session__event=autumn_event).values()),
        "speakers": list(TalkSpeaker.objects.filter(talk__session__event=autumn_event).values()),
        "recordings": list(Recording.objects.filter(session__event=autumn_event).values()),
    }

    services.duplicate_event(event=autumn_event, new_start_date=dt.date(2031, 11, 4), actor=staff)

    after = {
        "event": Event.objects.filter(pk=autumn_event.pk).values().get(),
        "roles": list(EventRole.objects.filter(event=autumn_event).values()),
        "sessions": list(Session.objects.filter(event=autumn_event).values()),
        "people": list(SessionPerson.objects.filter(session__event=autumn_event).values()),
        "talks": list(Talk.objects.filter(session__event=autumn_event).values()),
        "speakers": list(TalkSpeaker.objects.filter(talk__session__event=autumn_event).values()),
        "recordings": list(Recording.objects.filter(session__event=autumn_event).values()),
    }
    assert after == before


def test_duplicate_event_slug_when_the_next_one_exists(autumn_event, staff):
    EventFactory(slug="neuroai-2031")

    first = services.duplicate_event(event=autumn_event, new_start_date=dt.date(2031, 11, 4), actor=staff)
    second = services.duplicate_event(event=autumn_event, new_start_date=dt.date(2031, 11, 4), actor=staff)

    assert (first.slug, second.slug) == ("neuroai-2031-copy", "neuroai-2031-copy-2")


def test_duplicate_event_adds_the_year_to_a_slug_without_one(staff):
    event = EventFactory(slug="neuroai", name="NeuroAI Workshop", start_date=dt.date(2030, 11, 12))

    copy = services.duplicate_event(event=event, new_start_date=dt.date(2031, 11, 11), actor=staff)

    assert (copy.slug, copy.name) == ("neuroai-2031", "NeuroAI Workshop")


def test_duplicate_event_is_audited_as_the_actor(autumn_event, staff):
    copy = services.duplicate_event(event=autumn_event, new_start_date=dt.date(2031, 11, 4), actor=staff)

    created = LogEntry.objects.filter(action=LogEntry.Action.CREATE, timestamp__gte=copy.created_at)
    assert created.count() == 1 + 2 + 2 + 1 + 1 + 2  # event, roles, sessions, session person, talk, speakers
    assert set(created.values_list("actor", flat=True)) == {staff.pk}


def test_default_duplicate_start_is_the_same_weekday_a_year_later():
    event = Event(start_date=dt.date(2030, 11, 12))

    start = services.default_duplicate_start(event)

    assert (start, start.weekday()) == (dt.date(2031, 11, 11), event.start_date.weekday())


def test_shift_local_keeps_wall_clock_into_spring_forward():
    moment = dt.datetime(2031, 3, 3, 9, 0, tzinfo=NEW_YORK)  # EST

    shifted = services.shift_local(moment, days=7, tz=NEW_YORK)  # 2031-03-10 is EDT

    assert shifted.astimezone(UTC) == dt.datetime(2031, 3, 10, 13, 0, tzinfo=UTC)


def test_shift_local_keeps_wall_clock_in_the_events_timezone_not_the_sites():
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")  # the site's default is New York
    moment = dt.datetime(2031, 3, 24, 9, 0, tzinfo=berlin)  # CET, UTC+1

    shifted = services.shift_local(moment, days=7, tz=berlin)  # 2031-03-31 is CEST, UTC+2

    assert shifted.astimezone(UTC) == dt.datetime(2031, 3, 31, 7, 0, tzinfo=UTC)


def test_duplicate_event_cuts_a_slug_of_full_length_to_fit_the_year(staff):
    longest = "n" * SLUG_MAX_LENGTH
    event = EventFactory(slug=longest, name="NeuroAI Workshop", start_date=dt.date(2030, 11, 12))

    copy = services.duplicate_event(event=event, new_start_date=dt.date(2031, 11, 11), actor=staff)

    assert copy.slug == longest[: SLUG_MAX_LENGTH - 5] + "-2031"


def test_duplicate_event_slugs_of_full_length_stay_within_it_and_apart(staff):
    with_year = "n" * (SLUG_MAX_LENGTH - 5) + "-2030"
    event = EventFactory(slug=with_year, name="NeuroAI Workshop 2030", start_date=dt.date(2030, 11, 12))
    EventFactory(slug=with_year.replace("2030", "2031"))

    copies = [
        services.duplicate_event(event=event, new_start_date=dt.date(2031, 11, 11), actor=staff).slug for _ in range(3)
    ]

    assert copies == ["n" * (SLUG_MAX_LENGTH - 5) + "-copy"] + [  # the year goes to make room for the suffix
        "n" * (SLUG_MAX_LENGTH - 7) + f"-copy-{n}" for n in (2, 3)
    ]


def test_duplicate_event_person_reused_not_copied(autumn_event, staff):
    people_before = PersonFactory._meta.model.objects.count()

    services.duplicate_event(event=autumn_event, new_start_date=dt.date(2031, 11, 4), actor=staff)

    assert PersonFactory._meta.model.objects.count() == people_before
