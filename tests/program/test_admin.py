import datetime as dt
import zoneinfo

import pytest
from auditlog.models import LogEntry
from django.contrib.admin.models import LogEntry as AdminLogEntry
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from program import services
from program.models import Event, Recording, Session, Talk
from tests.admin_forms import changeform_data, management_form
from tests.factories import (
    EventFactory,
    EventRoleFactory,
    PersonFactory,
    RecordingFactory,
    SessionFactory,
    TalkFactory,
    TalkSpeakerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")
UTC = dt.UTC


def messages_of(response) -> list[tuple[str, str]]:
    return [(message.level_tag, message.message) for message in get_messages(response.wsgi_request)]


# --- Access --------------------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["admin:index", "admin:program_session_add", "admin:program_event_changelist"])
def test_admin_refuses_anonymous_visitors(client, url_name):
    url = reverse(url_name)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={url}"


@pytest.mark.parametrize("url_name", ["admin:index", "admin:program_session_add", "admin:program_event_changelist"])
def test_admin_refuses_logged_in_non_staff(client, user, url_name):
    client.force_login(user)
    url = reverse(url_name)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={url}"


# --- Sessions in the event's timezone -------------------------------------------------------------


@pytest.fixture
def pacific_event():
    return EventFactory(slug="pacific-2030", timezone="America/Los_Angeles", start_date=dt.date(2030, 11, 12))


def test_staff_adds_session_in_event_local_time_and_it_is_on_the_agenda(staff_client, pacific_event):
    data = {
        "event": str(pacific_event.pk),
        "title": "Opening keynote",
        "kind": "keynote",
        "start_0": "2030-11-12",
        "start_1": "09:30",
        "end_0": "2030-11-12",
        "end_1": "10:15",
        "room": "Building 45",
        "description": "",
        "is_streamed": "on",
        "stream_url": "",
        **management_form("people"),
        **management_form("talks", total=1),
        "talks-0-order": "0",
        "talks-0-title": "Brains and machines",
        "talks-0-start_0": "2030-11-12",
        "talks-0-start_1": "09:35",
        "talks-0-end_0": "2030-11-12",
        "talks-0-end_1": "10:10",
    }

    response = staff_client.post(reverse("admin:program_session_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert response["Location"] == reverse("admin:program_session_changelist")
    session = Session.objects.get(title="Opening keynote")
    # 09:30 PST is 17:30 UTC.
    assert (session.start, session.end) == (
        dt.datetime(2030, 11, 12, 17, 30, tzinfo=UTC),
        dt.datetime(2030, 11, 12, 18, 15, tzinfo=UTC),
    )
    talk = session.talks.get()
    assert talk.start == dt.datetime(2030, 11, 12, 17, 35, tzinfo=UTC)

    agenda = staff_client.get(reverse("program:agenda", kwargs={"slug": pacific_event.slug}))
    assert agenda.status_code == 200
    assert "Opening keynote" in agenda.content.decode()
    assert "9:30 – 10:15 AM PST" in agenda.content.decode()

    calendar = Calendar.from_ical(
        staff_client.get(reverse("program:agenda-calendar", kwargs={"slug": pacific_event.slug})).content
    )
    [vevent] = [c for c in calendar.walk("VEVENT") if str(c["SUMMARY"]) == "Opening keynote"]
    assert vevent.decoded("DTSTART") == dt.datetime(2030, 11, 12, 9, 30, tzinfo=LOS_ANGELES)
    assert vevent["DTSTART"].params["TZID"] == "America/Los_Angeles"


def test_session_change_form_shows_times_in_event_zone(staff_client, pacific_event):
    session = SessionFactory(
        event=pacific_event,
        start=dt.datetime(2030, 11, 12, 9, 30, tzinfo=LOS_ANGELES),
        end=dt.datetime(2030, 11, 12, 10, 15, tzinfo=LOS_ANGELES),
    )

    response = staff_client.get(reverse("admin:program_session_change", args=[session.pk]))

    page = response.content.decode()
    assert 'name="start_1" value="09:30:00"' in page
    assert 'name="end_1" value="10:15:00"' in page
    assert "Local time in America/Los_Angeles, the event's timezone." in page


def test_session_change_keeps_local_times_when_saved_unchanged(staff_client, pacific_event):
    session = SessionFactory(
        event=pacific_event,
        start=dt.datetime(2030, 11, 12, 9, 30, tzinfo=LOS_ANGELES),
        end=dt.datetime(2030, 11, 12, 10, 15, tzinfo=LOS_ANGELES),
    )
    url = reverse("admin:program_session_change", args=[session.pk])
    with timezone.override(LOS_ANGELES):
        data = changeform_data(staff_client.get(url))

    response = staff_client.post(url, data)

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.start == dt.datetime(2030, 11, 12, 17, 30, tzinfo=UTC)


def test_session_changelist_shows_local_start_with_zone(staff_client, pacific_event):
    SessionFactory(event=pacific_event, start=dt.datetime(2030, 11, 12, 9, 30, tzinfo=LOS_ANGELES))

    response = staff_client.get(reverse("admin:program_session_changelist"))

    assert "Tue 12 Nov 2030, 09:30 PST" in response.content.decode()


def test_talk_admin_edits_speakers_in_event_zone(staff_client, pacific_event):
    talk = TalkFactory(session=SessionFactory(event=pacific_event))
    person = PersonFactory()
    url = reverse("admin:program_talk_change", args=[talk.pk])
    with timezone.override(LOS_ANGELES):
        data = changeform_data(staff_client.get(url))
    data |= {
        "start_0": "2030-11-12",
        "start_1": "09:05",
        "end_0": "2030-11-12",
        "end_1": "09:25",
        **management_form("speaker_links", total=1),
        "speaker_links-0-person": str(person.pk),
        "speaker_links-0-order": "0",
    }

    response = staff_client.post(url, data)

    assert response.status_code == 302
    talk.refresh_from_db()
    assert talk.start == dt.datetime(2030, 11, 12, 17, 5, tzinfo=UTC)
    assert list(talk.speakers.all()) == [person]


def test_event_registration_window_is_entered_in_event_zone(staff_client, pacific_event):
    url = reverse("admin:program_event_change", args=[pacific_event.pk])
    data = changeform_data(staff_client.get(url))
    data |= {"registration_opens_0": "2030-09-01", "registration_opens_1": "09:00"}

    response = staff_client.post(url, data)

    assert response.status_code == 302
    pacific_event.refresh_from_db()
    assert pacific_event.registration_opens == dt.datetime(2030, 9, 1, 16, 0, tzinfo=UTC)  # PDT, UTC-7


# --- Events: duplicate, links, audit ---------------------------------------------------------------


def test_duplicate_action_asks_for_the_start_date(staff_client):
    event = EventFactory(start_date=dt.date(2030, 11, 12), end_date=dt.date(2030, 11, 13))

    response = staff_client.post(
        reverse("admin:program_event_changelist"),
        {"action": "duplicate_for_next_year", "_selected_action": [event.pk]},
    )

    assert response.status_code == 200
    assert response.templates[0].name == "admin/program/event/duplicate_event.html"
    assert response.context["form"].initial == {"new_start_date": dt.date(2031, 11, 11)}


def test_duplicate_action_offers_the_admin_calendar_for_the_date(staff_client):
    event = EventFactory()

    response = staff_client.post(
        reverse("admin:program_event_changelist"),
        {"action": "duplicate_for_next_year", "_selected_action": [event.pk]},
    )

    page = response.content.decode()
    # The date widget's script draws the calendar button; forms.css (with widgets.css) draws its icon.
    assert '<script src="/static/admin/js/admin/DateTimeShortcuts.js"></script>' in page
    assert '<link rel="stylesheet" href="/static/admin/css/forms.css">' in page
    assert 'class="vDateField"' in page
    assert '<div class="form-row field-new_start_date">' in page


def test_duplicate_action_creates_the_copy_and_opens_it(staff_client, staff):
    event = EventFactory(slug="neuroai-2030", start_date=dt.date(2030, 11, 12), end_date=dt.date(2030, 11, 13))
    SessionFactory(event=event)
    EventRoleFactory(event=event)

    response = staff_client.post(
        reverse("admin:program_event_changelist"),
        {
            "action": "duplicate_for_next_year",
            "_selected_action": [event.pk],
            "apply": "Duplicate",
            "new_start_date": "2031-11-11",
        },
    )

    copy = Event.objects.get(slug="neuroai-2031")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:program_event_change", args=[copy.pk])
    assert (copy.start_date, copy.is_published, copy.sessions.count(), copy.roles.count()) == (
        dt.date(2031, 11, 11),
        False,
        1,
        1,
    )
    assert AdminLogEntry.objects.get(object_id=str(copy.pk)).get_change_message() == "Duplicated from neuroai-2030."
    assert LogEntry.objects.get_for_object(copy).get().actor == staff


def test_duplicate_action_needs_exactly_one_event(staff_client):
    events = EventFactory.create_batch(2)

    response = staff_client.post(
        reverse("admin:program_event_changelist"),
        {"action": "duplicate_for_next_year", "_selected_action": [e.pk for e in events]},
    )

    assert response.status_code == 302
    assert messages_of(response) == [("warning", "Select exactly one event to duplicate.")]
    assert Event.objects.count() == 2


def test_event_change_page_links_to_public_pages_and_history(staff_client):
    event = EventFactory(slug="neuroai-2030")

    response = staff_client.get(reverse("admin:program_event_change", args=[event.pk]))

    page = response.content.decode()
    assert f'href="{reverse("program:agenda", kwargs={"slug": "neuroai-2030"})}"' in page
    assert f'href="{event.get_absolute_url()}"' in page
    history_url = response.context["audit_history_url"]
    assert f'<a href="{history_url.replace("&", "&amp;")}" class="historylink">History of changes</a>' in page


def test_history_of_changes_lists_only_that_events_entries(staff_client):
    event = EventFactory()
    EventFactory()
    history_url = staff_client.get(reverse("admin:program_event_change", args=[event.pk])).context["audit_history_url"]

    response = staff_client.get(history_url)

    assert response.status_code == 200
    assert [entry.object_pk for entry in response.context["cl"].result_list] == [str(event.pk)]


def test_audited_change_records_the_address_our_proxy_saw_not_one_the_client_wrote(staff_client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    event = EventFactory(name="NeuroAI Workshop 2030")
    url = reverse("admin:program_event_change", args=[event.pk])
    data = changeform_data(staff_client.get(url))
    data["name"] = "NeuroAI Workshop 2030: Foundations"

    staff_client.post(url, data, HTTP_X_FORWARDED_FOR="10.0.0.1, 203.0.113.7")

    entry = LogEntry.objects.get_for_object(event).get(action=LogEntry.Action.UPDATE)
    assert entry.remote_addr == "203.0.113.7"


def test_admin_change_is_audited_with_actor_and_changed_fields(staff_client, staff):
    event = EventFactory(name="NeuroAI Workshop 2030")
    EventRoleFactory(event=event)
    url = reverse("admin:program_event_change", args=[event.pk])
    data = changeform_data(staff_client.get(url))
    data["name"] = "NeuroAI Workshop 2030: Foundations"

    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = LogEntry.objects.get_for_object(event).get(action=LogEntry.Action.UPDATE)
    assert entry.actor == staff
    assert entry.changes_dict["name"] == ["NeuroAI Workshop 2030", "NeuroAI Workshop 2030: Foundations"]
    assert set(entry.changes_dict) == {"name"}
    history = staff_client.get(reverse("admin:program_event_history", args=[event.pk]))
    assert [log.get_change_message() for log in history.context["action_list"]] == ["Changed Name."]


# --- Recordings ----------------------------------------------------------------------------------


def recording_change(staff_client, recording, **changes):
    url = reverse("admin:program_recording_change", args=[recording.pk])
    data = changeform_data(staff_client.get(url))
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = "on" if value is True else value
    return staff_client.post(url, data)


def test_admin_publish_without_consent_shows_form_error(staff_client):
    recording = RecordingFactory()

    response = recording_change(staff_client, recording, is_published=True)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "is_published": ["Cannot publish: Speaker consent has not been recorded."]
    }
    recording.refresh_from_db()
    assert (recording.is_published, recording.published_at) == (False, None)


def test_admin_consent_and_publish_in_one_save(staff_client, staff):
    recording = RecordingFactory()

    response = recording_change(staff_client, recording, consent_given=True, is_published=True)

    assert response.status_code == 302
    recording.refresh_from_db()
    assert (recording.consent_given, recording.consent_recorded_by, recording.is_published) == (True, staff, True)
    assert recording.consent_recorded_at is not None
    assert recording.published_at is not None


def test_admin_consent_fields_are_read_only(staff_client, user):
    recording = RecordingFactory()

    response = recording_change(
        staff_client, recording, consent_given=True, consent_recorded_by=str(user.pk), consent_recorded_at="2020-01-01"
    )

    assert response.status_code == 302
    recording.refresh_from_db()
    assert recording.consent_recorded_by != user
    assert recording.consent_recorded_at > timezone.now() - dt.timedelta(minutes=1)


def test_admin_untick_consent_withdraws_it(staff_client, staff):
    recording = RecordingFactory()
    services.record_consent(recording=recording, actor=staff)

    response = recording_change(staff_client, recording, consent_given=False)

    assert response.status_code == 302
    recording.refresh_from_db()
    assert (recording.consent_given, recording.consent_recorded_by, recording.consent_recorded_at) == (
        False,
        None,
        None,
    )


def test_admin_publishing_field_says_why_not(staff_client):
    recording = RecordingFactory()

    response = staff_client.get(reverse("admin:program_recording_change", args=[recording.pk]))

    assert "Not yet: Speaker consent has not been recorded." in response.content.decode()


def test_bulk_publish_skips_recordings_without_consent(staff_client, staff):
    consented = RecordingFactory(title="Consented")
    services.record_consent(recording=consented, actor=staff)
    unconsented = RecordingFactory(title="No consent")

    response = staff_client.post(
        reverse("admin:program_recording_changelist"),
        {"action": "publish_selected", "_selected_action": [consented.pk, unconsented.pk]},
    )

    assert response.status_code == 302
    assert messages_of(response) == [
        ("warning", "Not published: “No consent”. Speaker consent has not been recorded."),
        ("success", "1 recording(s) published."),
    ]
    assert list(Recording.objects.order_by("title").values_list("title", "is_published")) == [
        ("Consented", True),
        ("No consent", False),
    ]
    consented.refresh_from_db()
    assert (consented.consent_recorded_by, consented.published_at is not None) == (staff, True)


def test_bulk_unpublish(staff_client, staff):
    recording = RecordingFactory()
    services.record_consent(recording=recording, actor=staff)
    services.publish_recording(recording=recording, actor=staff)

    response = staff_client.post(
        reverse("admin:program_recording_changelist"),
        {"action": "unpublish_selected", "_selected_action": [recording.pk]},
    )

    assert response.status_code == 302
    recording.refresh_from_db()
    assert recording.is_published is False
    entry = LogEntry.objects.get_for_object(recording).filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    assert (entry.actor, entry.changes_dict["is_published"]) == (staff, ["True", "False"])


# --- Query-count guards ----------------------------------------------------------------------------


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def add_agenda(event_count: int) -> None:
    for _ in range(event_count):
        session = SessionFactory()
        talk = TalkFactory(session=session)
        TalkSpeakerFactory(talk=talk)
        EventRoleFactory(event=session.event)
        RecordingFactory(session=session, talk=talk)


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:program_session_changelist",
        "admin:program_talk_changelist",
        "admin:program_eventrole_changelist",
        "admin:program_recording_changelist",
        "admin:program_event_changelist",
        "admin:program_person_changelist",
    ],
)
def test_changelist_queries_do_not_grow_with_rows(staff_client, url_name):
    url = reverse(url_name)
    add_agenda(1)
    staff_client.get(url)
    few = queries_for(staff_client, url)

    add_agenda(6)
    many = queries_for(staff_client, url)

    assert many == few


def test_talk_inline_shows_speakers_read_only_with_change_link(staff_client):
    talk = TalkFactory()
    TalkSpeakerFactory(talk=talk, person=PersonFactory(name="Ada Lovelace"))

    response = staff_client.get(reverse("admin:program_session_change", args=[talk.session.pk]))

    page = response.content.decode()
    assert "Ada Lovelace" in page
    assert reverse("admin:program_talk_change", args=[talk.pk]) in page
    assert Talk.objects.count() == 1


def test_staff_without_superuser_needs_permissions(client):
    organizer = UserFactory(is_staff=True)
    client.force_login(organizer)

    response = client.get(reverse("admin:program_session_changelist"))

    assert response.status_code == 403


def test_recording_change_page_shows_the_consent_beside_the_publish_switch(staff_client, staff):
    recording = RecordingFactory()
    services.record_consent(recording=recording, actor=staff, note="Signed release, 2030-11-01")

    response = staff_client.get(reverse("admin:program_recording_change", args=[recording.pk]))

    recording.refresh_from_db()
    when = timezone.localtime(recording.consent_recorded_at).strftime("%Y-%m-%d %H:%M")
    assert (
        f"May be published: speakers&#x27; consent recorded {when} by {staff} (Signed release, 2030-11-01)."
        in response.content.decode()
    )
