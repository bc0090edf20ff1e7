"""Sessions stay on their event's days and talks within their session: the admin and the importer refuse the rest."""

import datetime as dt
import zoneinfo

import pytest
import tablib
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from program.models import Session
from program.resources import SessionResource
from registration.models import Notification
from tests.admin_forms import changeform_data, management_form
from tests.factories import EventFactory, RegistrationFactory, SessionFactory, TalkFactory

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")
DAYS = "the event's days (January 5–6, 2027, America/New_York)"


@pytest.fixture
def event():
    """The January workshop of the report: two days, people registered."""
    event = EventFactory(
        slug="neuroai-demo", start_date=dt.date(2027, 1, 5), end_date=dt.date(2027, 1, 6), timezone="America/New_York"
    )
    RegistrationFactory(event=event)
    return event


def session_data(event, *, day: str, start: str, end: str, end_day: str | None = None, **extra) -> dict:
    return {
        "event": str(event.pk),
        "title": "Late addition",
        "kind": "talks",
        "start_0": day,
        "start_1": start,
        "end_0": end_day or day,
        "end_1": end,
        "room": "",
        "description": "",
        "is_streamed": "on",
        "stream_url": "",
        **management_form("people"),
        **management_form("talks"),
        **extra,
    }


def form_errors(response) -> dict[str, list[str]]:
    return {field: list(errors) for field, errors in response.context["adminform"].form.errors.items()}


def test_admin_refuses_a_session_after_the_event_and_mails_no_one(staff_client, event):
    data = session_data(event, day="2027-02-01", start="09:00", end="10:00")

    response = staff_client.post(reverse("admin:program_session_add"), data)

    assert response.status_code == 200
    assert form_errors(response) == {"start": [f"The session must start within {DAYS}."]}
    assert '<ul class="errorlist" id="id_start_error">' in response.content.decode()
    assert Session.objects.count() == 0
    assert Notification.objects.count() == 0
    assert mail.outbox == []


def test_admin_refuses_moving_a_session_off_the_event_days(staff_client, event):
    session = SessionFactory(event=event, start=dt.datetime(2027, 1, 6, 9, 0, tzinfo=NEW_YORK))
    url = reverse("admin:program_session_change", args=[session.pk])
    with timezone.override(NEW_YORK):
        data = changeform_data(staff_client.get(url))
    data |= {"start_0": "2027-01-04", "end_0": "2027-01-04"}

    response = staff_client.post(url, data)

    assert form_errors(response) == {"start": [f"The session must start within {DAYS}."]}
    session.refresh_from_db()
    assert session.start == dt.datetime(2027, 1, 6, 9, 0, tzinfo=NEW_YORK)
    assert Notification.objects.count() == 0


def test_admin_refuses_a_session_running_past_midnight_after_the_last_day(staff_client, event):
    data = session_data(event, day="2027-01-06", start="23:00", end="00:30", end_day="2027-01-07")

    response = staff_client.post(reverse("admin:program_session_add"), data)

    assert form_errors(response) == {"end": [f"The session must end within {DAYS}."]}


def test_the_event_days_are_counted_in_the_event_zone(staff_client):
    # 22:00 in Los Angeles on the last day is already the next day in UTC.
    event = EventFactory(
        start_date=dt.date(2030, 11, 12), end_date=dt.date(2030, 11, 13), timezone="America/Los_Angeles"
    )
    data = session_data(event, day="2030-11-13", start="22:00", end="23:59")

    response = staff_client.post(reverse("admin:program_session_add"), data)

    assert response.status_code == 302
    assert Session.objects.get().start == dt.datetime(2030, 11, 14, 6, 0, tzinfo=dt.UTC)


def test_admin_refuses_a_talk_outside_its_session(staff_client, event):
    data = session_data(
        event,
        day="2027-01-05",
        start="09:00",
        end="10:00",
        **management_form("talks", total=1),
        **{
            "talks-0-order": "0",
            "talks-0-title": "Overrunning talk",
            "talks-0-start_0": "2027-01-05",
            "talks-0-start_1": "09:40",
            "talks-0-end_0": "2027-01-05",
            "talks-0-end_1": "10:20",
        },
    )

    response = staff_client.post(reverse("admin:program_session_add"), data)

    assert response.status_code == 200
    [talk_form] = response.context["inline_admin_formsets"][1].formset.forms
    assert talk_form.errors == {
        "end": ["A talk must be within its session (Tue 05 Jan 2027, 09:00 EST – Tue 05 Jan 2027, 10:00 EST)."]
    }
    assert Session.objects.count() == 0


def test_admin_moves_a_session_and_its_talks_together(staff_client, event):
    session = SessionFactory(
        event=event,
        start=dt.datetime(2027, 1, 5, 9, 0, tzinfo=NEW_YORK),
        end=dt.datetime(2027, 1, 5, 10, 0, tzinfo=NEW_YORK),
    )
    TalkFactory(
        session=session,
        start=dt.datetime(2027, 1, 5, 9, 0, tzinfo=NEW_YORK),
        end=dt.datetime(2027, 1, 5, 9, 30, tzinfo=NEW_YORK),
    )
    url = reverse("admin:program_session_change", args=[session.pk])
    with timezone.override(NEW_YORK):
        data = changeform_data(staff_client.get(url))
    data |= {
        "start_0": "2027-01-06",
        "end_0": "2027-01-06",
        "talks-0-start_0": "2027-01-06",
        "talks-0-end_0": "2027-01-06",
    }

    response = staff_client.post(url, data)

    assert response.status_code == 302
    assert session.talks.get().start == dt.datetime(2027, 1, 6, 9, 0, tzinfo=NEW_YORK)


def test_talk_admin_refuses_a_talk_outside_its_session(staff_client, event):
    talk = TalkFactory(
        session=SessionFactory(
            event=event,
            start=dt.datetime(2027, 1, 5, 9, 0, tzinfo=NEW_YORK),
            end=dt.datetime(2027, 1, 5, 10, 0, tzinfo=NEW_YORK),
        )
    )
    url = reverse("admin:program_talk_change", args=[talk.pk])
    with timezone.override(NEW_YORK):
        data = changeform_data(staff_client.get(url))
    data |= {"start_0": "2027-01-05", "start_1": "08:30", "end_0": "", "end_1": ""}

    response = staff_client.post(url, data)

    assert form_errors(response) == {
        "start": ["A talk must be within its session (Tue 05 Jan 2027, 09:00 EST – Tue 05 Jan 2027, 10:00 EST)."]
    }


# --- Changing the event's dates ------------------------------------------------------------------


def event_change(staff_client, event, **changes):
    url = reverse("admin:program_event_change", args=[event.pk])
    with timezone.override(event.tzinfo):
        data = changeform_data(staff_client.get(url))
    return staff_client.post(url, data | changes)


def test_admin_refuses_new_dates_that_would_leave_sessions_behind(staff_client, event):
    SessionFactory(event=event, title="Opening", start=dt.datetime(2027, 1, 5, 9, 0, tzinfo=NEW_YORK))
    SessionFactory(event=event, title="Closing remarks", start=dt.datetime(2027, 1, 6, 15, 30, tzinfo=NEW_YORK))

    response = event_change(staff_client, event, start_date="2027-01-12", end_date="2027-01-13")

    assert form_errors(response) == {
        "start_date": [
            "These sessions would fall outside the event's days (January 12–13, 2027): "
            "“Opening” (Tue 05 Jan 2027, 09:00 EST); “Closing remarks” (Wed 06 Jan 2027, 15:30 EST). "
            "Move them first, or choose dates that include them."
        ]
    }
    event.refresh_from_db()
    assert (event.start_date, event.end_date) == (dt.date(2027, 1, 5), dt.date(2027, 1, 6))
    assert Notification.objects.count() == 0


def test_admin_refuses_shortening_the_event_under_its_last_day(staff_client, event):
    SessionFactory(event=event, title="Closing remarks", start=dt.datetime(2027, 1, 6, 15, 30, tzinfo=NEW_YORK))

    response = event_change(staff_client, event, end_date="2027-01-05")

    assert list(form_errors(response)) == ["end_date"]
    assert "“Closing remarks” (Wed 06 Jan 2027, 15:30 EST)" in form_errors(response)["end_date"][0]


def test_admin_refuses_a_new_zone_that_would_move_sessions_off_the_days(staff_client, event):
    # 09:00 in New York is 06:00 in Los Angeles; 01:00 in New York is the evening before there.
    SessionFactory(event=event, title="Early start", start=dt.datetime(2027, 1, 5, 1, 0, tzinfo=NEW_YORK))

    response = event_change(staff_client, event, timezone="America/Los_Angeles")

    assert list(form_errors(response)) == ["start_date"]
    assert "“Early start” (Mon 04 Jan 2027, 22:00 PST)" in form_errors(response)["start_date"][0]


def test_admin_accepts_new_dates_that_keep_every_session(staff_client, event):
    SessionFactory(event=event, start=dt.datetime(2027, 1, 5, 9, 0, tzinfo=NEW_YORK))

    response = event_change(staff_client, event, start_date="2027-01-04", end_date="2027-01-05")

    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.start_date, event.end_date) == (dt.date(2027, 1, 4), dt.date(2027, 1, 5))


def test_a_refusal_names_five_sessions_and_says_there_are_more(event):
    for hour in range(9, 16):
        SessionFactory(event=event, title=f"At {hour}", start=dt.datetime(2027, 1, 6, hour, 0, tzinfo=NEW_YORK))
    event.end_date = dt.date(2027, 1, 5)

    with pytest.raises(ValidationError) as refused:
        event.full_clean()

    [message] = refused.value.message_dict["end_date"]
    assert "“At 13” (Wed 06 Jan 2027, 13:00 EST) and more." in message
    assert "At 14" not in message


# --- The importer --------------------------------------------------------------------------------

HEADER = "event,title,kind,date,start,end,room,streamed,recorded,description\n"


def import_agenda(text: str):
    return SessionResource().import_data(tablib.Dataset().load(text))


def test_import_refuses_a_session_outside_the_event_days(event):
    result = import_agenda(HEADER + "neuroai-demo,Late addition,talks,2027-02-01,09:00,10:00,,,,\n")

    assert [(row.number, row.error_dict) for row in result.invalid_rows] == [
        (1, {"start": [f"The session must start within {DAYS}."]})
    ]
    assert Session.objects.count() == 0
    assert Notification.objects.count() == 0


def test_import_refuses_moving_a_session_away_from_its_timed_talks(event):
    session = SessionFactory(
        event=event,
        title="Session 1",
        start=dt.datetime(2027, 1, 5, 9, 0, tzinfo=NEW_YORK),
        end=dt.datetime(2027, 1, 5, 10, 0, tzinfo=NEW_YORK),
    )
    TalkFactory(
        session=session,
        title="Plasticity rules",
        start=dt.datetime(2027, 1, 5, 9, 0, tzinfo=NEW_YORK),
        end=dt.datetime(2027, 1, 5, 9, 30, tzinfo=NEW_YORK),
    )

    result = import_agenda(
        "id," + HEADER.replace("\n", "") + f"\n{session.pk},neuroai-demo,Session 1,talks,2027-01-06,09:00,10:00,,,,\n"
    )

    assert [(row.number, row.error_dict) for row in result.invalid_rows] == [
        (
            1,
            {
                "start": [
                    "Its talks would fall outside the new times: “Plasticity rules”. "
                    "Move the session and its talks together on the session's page in the admin."
                ]
            },
        )
    ]
    session.refresh_from_db()
    assert session.start == dt.datetime(2027, 1, 5, 9, 0, tzinfo=NEW_YORK)
