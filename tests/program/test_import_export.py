import csv
import datetime as dt
import io
import zoneinfo

import pytest
import tablib
from auditlog.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from program.models import EventRole, Person, Role, Session, SessionKind, Talk
from program.resources import MAX_IMPORT_ROWS, EventRoleResource, PersonResource, SessionResource, TalkResource
from tests.factories import EventFactory, PersonFactory, SessionFactory, TalkFactory, UserFactory

pytestmark = pytest.mark.django_db

LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")
UTC = dt.UTC

AGENDA_HEADER = "event,title,kind,date,start,end,room,streamed,recorded,description\n"


@pytest.fixture
def event():
    return EventFactory(
        slug="pacific-2030",
        timezone="America/Los_Angeles",
        start_date=dt.date(2030, 11, 12),
        end_date=dt.date(2030, 11, 13),
    )


def upload(text: str, name: str = "upload.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def preview(client, model: str, text: str):
    """Step one of an admin import: upload, dry run, and the preview page."""
    return client.post(
        reverse(f"admin:program_{model}_import"), {"resource": "0", "format": "0", "import_file": upload(text)}
    )


def confirm(client, model: str, preview_response):
    """Step two: confirm the previewed import."""
    form = preview_response.context["confirm_form"]
    data = {name: form.initial[name] for name in ("import_file_name", "original_file_name", "format", "resource")}
    return client.post(reverse(f"admin:program_{model}_process_import"), data)


def invalid_rows(response) -> list[tuple[int, dict[str, list[str]]]]:
    return [(row.number, row.error_dict) for row in response.context["result"].invalid_rows]


def export_csv(client, model: str, resource) -> list[list[str]]:
    fields = {f"{resource.__name__.lower()}_{name}": "on" for name in resource().get_export_order()}
    response = client.post(reverse(f"admin:program_{model}_export"), {"format": "0", "resource": "0", **fields})
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


# --- Good files ----------------------------------------------------------------------------------


def test_people_import_adds_new_and_updates_matched_people(staff_client):
    by_email = PersonFactory(name="Ada Lovelace", affiliation="Old Lab", email="ada@example.org")
    by_name = PersonFactory(name="Alan Turing", affiliation="Example University", email="")
    text = (
        "name,affiliation,email,website,bio\n"
        "Ada Lovelace,Analytical Engines Institute,ADA@example.org,,\n"
        "alan turing,example university,,https://turing.example.org,Computing\n"
        "Grace Hopper,Navy Lab,grace@example.org,,\n"
    )

    response = confirm(staff_client, "person", preview(staff_client, "person", text))

    assert response.status_code == 302
    assert list(Person.objects.order_by("pk").values_list("pk", "name", "affiliation", "website")) == [
        (by_email.pk, "Ada Lovelace", "Analytical Engines Institute", ""),
        (by_name.pk, "alan turing", "example university", "https://turing.example.org"),
        (Person.objects.get(name="Grace Hopper").pk, "Grace Hopper", "Navy Lab", ""),
    ]


def test_roster_import_creates_missing_people_and_roles(staff_client, event):
    known = PersonFactory(name="Doris Tsao", affiliation="UC Berkeley")
    text = (
        "event,person,affiliation,email,role,group_name,title,order\n"
        "pacific-2030,Doris Tsao,UC Berkeley,,Scientific Planning Committee,,Co-chair,1\n"
        "pacific-2030,Joseph Monaco,NINDS,,working_group,NIH BRAIN NeuroAI Working Group,,\n"
    )

    response = confirm(staff_client, "eventrole", preview(staff_client, "eventrole", text))

    assert response.status_code == 302
    assert list(
        EventRole.objects.order_by("order", "person__name").values_list(
            "event__slug", "person__name", "affiliation", "role", "group_name", "title", "order"
        )
    ) == [
        ("pacific-2030", "Joseph Monaco", "NINDS", Role.WORKING_GROUP, "NIH BRAIN NeuroAI Working Group", "", 0),
        ("pacific-2030", "Doris Tsao", "UC Berkeley", Role.PLANNING_COMMITTEE, "", "Co-chair", 1),
    ]
    assert EventRole.objects.get(role=Role.PLANNING_COMMITTEE).person == known
    assert Person.objects.get(name="Joseph Monaco").affiliation == "NINDS"


def test_agenda_import_reads_times_in_the_event_zone(staff_client, event):
    text = AGENDA_HEADER + (
        "pacific-2030,Welcome,welcome,2030-11-12,08:45,09:00,Auditorium,yes,no,\n"
        "pacific-2030,Keynote,Keynote,2030-11-12,9:00 AM,10:00,Auditorium,,yes,The opening talk\n"
        "pacific-2030,Lunch,meal,2030-11-13,12:00,13:00,Atrium,no,,\n"
    )

    preview_response = preview(staff_client, "session", text)
    assert invalid_rows(preview_response) == []
    response = confirm(staff_client, "session", preview_response)

    assert response.status_code == 302
    assert list(Session.objects.values_list("title", "kind", "start", "end", "room", "is_streamed", "is_recorded")) == [
        (
            "Welcome",
            SessionKind.OPENING,
            dt.datetime(2030, 11, 12, 16, 45, tzinfo=UTC),
            dt.datetime(2030, 11, 12, 17, 0, tzinfo=UTC),
            "Auditorium",
            True,
            False,
        ),
        (
            "Keynote",
            SessionKind.KEYNOTE,
            dt.datetime(2030, 11, 12, 17, 0, tzinfo=UTC),
            dt.datetime(2030, 11, 12, 18, 0, tzinfo=UTC),
            "Auditorium",
            True,
            True,
        ),
        (
            "Lunch",
            SessionKind.MEAL,
            dt.datetime(2030, 11, 13, 20, 0, tzinfo=UTC),
            dt.datetime(2030, 11, 13, 21, 0, tzinfo=UTC),
            "Atrium",
            False,
            False,
        ),
    ]
    agenda = staff_client.get(reverse("program:agenda", kwargs={"slug": "pacific-2030"})).content.decode()
    assert "9:00 – 10:00 AM PST" in agenda


def test_talk_import_links_speakers_in_order_and_adds_missing_people(staff_client, event):
    session = SessionFactory(event=event, title="Learning rules")
    known = PersonFactory(name="Chidi Okafor")
    text = (
        "event,session,title,speakers,order\n"
        "pacific-2030,learning rules,Plasticity in silico,Camille Moreau; Chidi Okafor,2\n"
    )

    response = confirm(staff_client, "talk", preview(staff_client, "talk", text))

    assert response.status_code == 302
    talk = Talk.objects.get()
    assert (talk.session, talk.title, talk.order) == (session, "Plasticity in silico", 2)
    assert [link.person.name for link in talk.speaker_links.all()] == ["Camille Moreau", "Chidi Okafor"]
    assert talk.speaker_links.get(order=1).person == known


def test_import_twice_adds_nothing_twice(event):
    dataset = tablib.Dataset().load(AGENDA_HEADER + "pacific-2030,Keynote,keynote,2030-11-12,09:00,10:00,,,,\n")

    SessionResource().import_data(dataset)
    result = SessionResource().import_data(dataset)

    assert (result.totals["new"], result.totals["update"], Session.objects.count()) == (0, 1, 1)


def test_import_through_admin_is_audited_with_the_actor(staff_client, staff, event):
    text = AGENDA_HEADER + "pacific-2030,Keynote,keynote,2030-11-12,09:00,10:00,,,,\n"

    confirm(staff_client, "session", preview(staff_client, "session", text))

    entry = LogEntry.objects.get_for_object(Session.objects.get()).get()
    assert (entry.action, entry.actor) == (LogEntry.Action.CREATE, staff)


# --- Bad files: nothing is imported ----------------------------------------------------------------


GOOD_ROW = "pacific-2030,Welcome,welcome,2030-11-12,08:45,09:00,,,,\n"
LATER_GOOD_ROW = "pacific-2030,Lunch,meal,2030-11-12,12:00,13:00,,,,\n"


@pytest.mark.parametrize(
    ("bad_row", "errors"),
    [
        (
            "nope-2030,Keynote,keynote,2030-11-12,09:00,10:00,,,,\n",
            {"event": ["No event has the slug “nope-2030”."]},
        ),
        (
            "pacific-2030,Keynote,lecture,2030-11-12,09:00,10:00,,,,\n",
            {
                "kind": [
                    "Unknown kind “lecture”; use one of: Opening, Closing, Keynote, Talk session, Panel, "
                    "Posters, Discussion, Break, Meal, Other."
                ]
            },
        ),
        (
            "pacific-2030,Keynote,keynote,2030-11-12,10:00,09:00,,,,\n",
            {"end": ["A session must end after it starts."]},
        ),
        (
            "pacific-2030,Keynote,keynote,2030-11-12,9h30,10:00,,,,\n",
            {"start": ["Malformed time “9H30”; use HH:MM in the event's timezone, e.g. 09:30 or 14:00."]},
        ),
        (
            "pacific-2030,Keynote,keynote,12/11/2030,09:00,10:00,,,,\n",
            {"date": ["Malformed date “12/11/2030”; use YYYY-MM-DD, e.g. 2030-11-12."]},
        ),
        (
            "pacific-2030,Keynote,keynote,2030-11-12,09:00,10:00,,maybe,,\n",
            {"is_streamed": ["“maybe” is not yes or no."]},
        ),
    ],
)
def test_agenda_with_one_bad_row_imports_nothing_and_says_why(staff_client, event, bad_row, errors):
    text = AGENDA_HEADER + GOOD_ROW + bad_row + LATER_GOOD_ROW

    response = preview(staff_client, "session", text)

    assert response.status_code == 200
    assert invalid_rows(response) == [(2, errors)]
    assert "confirm_form" not in response.context
    page = response.content.decode()
    assert "Some rows failed to validate" in page
    assert next(iter(errors.values()))[0].replace("'", "&#x27;") in page
    assert Session.objects.count() == 0


def test_agenda_without_an_event_column_is_reported(event):
    dataset = tablib.Dataset().load("title,date,start,end\nKeynote,2030-11-12,09:00,10:00\n")

    result = SessionResource().import_data(dataset)

    assert [(row.number, row.error_dict) for row in result.invalid_rows] == [
        (1, {"event": ["The event's slug is required."]})
    ]


def test_agenda_resource_rolls_back_good_rows_when_one_is_bad(event):
    bad_row = "pacific-2030,Keynote,keynote,2030-11-12,10:00,09:00,,,,\n"
    dataset = tablib.Dataset().load(AGENDA_HEADER + GOOD_ROW + bad_row + LATER_GOOD_ROW)

    result = SessionResource().import_data(dataset, dry_run=False)

    assert [row.number for row in result.invalid_rows] == [2]
    assert Session.objects.count() == 0


def test_roster_with_one_bad_row_creates_no_people(event):
    dataset = tablib.Dataset().load(
        "event,person,affiliation,role\n"
        "pacific-2030,New Person,Somewhere,speaker\n"
        "pacific-2030,Other Person,Elsewhere,chef\n"
    )

    result = EventRoleResource().import_data(dataset, dry_run=False)

    assert [(row.number, row.error_dict) for row in result.invalid_rows] == [
        (
            2,
            {
                "role": [
                    "Unknown role “chef”; use one of: Scientific Planning Committee, Working Group, Organizer, "
                    "Speaker, Moderator, Panelist."
                ]
            },
        )
    ]
    assert (Person.objects.count(), EventRole.objects.count()) == (0, 0)


def test_talk_import_reports_an_unknown_session(event):
    dataset = tablib.Dataset().load("event,session,title,speakers\npacific-2030,Nope,A talk,Someone\n")

    result = TalkResource().import_data(dataset, dry_run=False)

    assert [(row.number, row.error_dict) for row in result.invalid_rows] == [
        (1, {"session": ["No session is titled “Nope” in the event “pacific-2030”."]})
    ]
    assert (Talk.objects.count(), Person.objects.count()) == (0, 0)


def test_skipped_spring_forward_hour_is_refused(event):
    dataset = tablib.Dataset().load(AGENDA_HEADER + "pacific-2030,Night owl,talks,2031-03-09,02:30,03:30,,,,\n")

    result = SessionResource().import_data(dataset, dry_run=False)

    assert [(row.number, row.error_dict) for row in result.invalid_rows] == [
        (1, {"start": ["2031-03-09 02:30 does not exist in America/Los_Angeles: the clocks skip it."]})
    ]


# --- Export --------------------------------------------------------------------------------------


def test_export_neutralises_formula_cells(staff_client):
    PersonFactory(
        name='=HYPERLINK("https://evil.example","click")',
        affiliation="+1 Lab",
        email="",
        bio="@SUM(A1:A2)",
        website="",
    )
    PersonFactory(name="-2+3", affiliation="Plain Lab", bio="")

    rows = export_csv(staff_client, "person", PersonResource)

    assert rows == [
        ["name", "affiliation", "email", "website", "bio"],
        ["'-2+3", "Plain Lab", "", "", ""],
        ['\'=HYPERLINK("https://evil.example","click")', "'+1 Lab", "", "", "'@SUM(A1:A2)"],
    ]


def test_neutralised_export_imports_back_unchanged():
    PersonFactory(name="=Formula Name", affiliation="Lab", email="formula@example.org")
    dataset = PersonResource().export()

    result = PersonResource().import_data(tablib.Dataset().load(dataset.csv))

    assert (result.totals["update"], result.totals["new"]) == (1, 0)
    assert list(Person.objects.values_list("name", flat=True)) == ["=Formula Name"]


def test_agenda_export_is_in_local_time_and_imports_back_unchanged(staff_client, event):
    SessionFactory(
        event=event,
        title="Keynote",
        kind=SessionKind.KEYNOTE,
        start=dt.datetime(2030, 11, 12, 9, 0, tzinfo=LOS_ANGELES),
        end=dt.datetime(2030, 11, 12, 10, 0, tzinfo=LOS_ANGELES),
        room="Auditorium",
    )
    TalkFactory()  # another event's session, filtered out below

    rows = export_csv(staff_client, "session", SessionResource)
    session = Session.objects.get(title="Keynote")
    row = next(r for r in rows if r[1] == "pacific-2030")

    assert rows[0] == [
        "id", "event", "title", "kind", "date", "start", "end", "room", "streamed", "recorded", "description"
    ]  # fmt: skip
    assert row == [str(session.pk), "pacific-2030", "Keynote", "Keynote", "2030-11-12", "09:00", "10:00",
                   "Auditorium", "yes", "no", ""]  # fmt: skip
    buffer = io.StringIO()
    csv.writer(buffer).writerows([rows[0], row])
    result = SessionResource().import_data(tablib.Dataset().load(buffer.getvalue()))
    assert (result.totals["update"], result.totals["new"], result.has_validation_errors()) == (1, 0, False)
    session.refresh_from_db()
    assert session.start == dt.datetime(2030, 11, 12, 17, 0, tzinfo=UTC)


# --- Permissions ---------------------------------------------------------------------------------


def staff_with(client, *codenames: str):
    organizer = UserFactory(is_staff=True)
    organizer.user_permissions.set(Permission.objects.filter(content_type__app_label="program", codename__in=codenames))
    client.force_login(organizer)
    return client


def test_import_needs_add_and_change_permissions(client):
    client = staff_with(client, "view_person", "change_person")

    response = client.get(reverse("admin:program_person_import"))

    assert response.status_code == 403


def test_import_allowed_with_add_and_change_permissions(client):
    client = staff_with(client, "view_person", "add_person", "change_person")

    response = client.get(reverse("admin:program_person_import"))

    assert response.status_code == 200


def test_export_of_people_needs_view_permission(client):
    client = staff_with(client, "view_session")

    response = client.get(reverse("admin:program_person_export"))

    assert response.status_code == 403


def test_a_file_over_the_row_limit_is_refused_with_a_clear_message(staff_client):
    rows = "".join(f"Person {n},Institute {n},,,\n" for n in range(MAX_IMPORT_ROWS + 1))

    response = preview(staff_client, "person", "name,affiliation,email,website,bio\n" + rows)

    assert response.status_code == 200
    assert "import at most 2,000 at a time" in response.content.decode()
    assert Person.objects.count() == 0
