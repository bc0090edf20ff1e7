"""The kinds of agenda blocks: the migration from the old kinds, the agenda's labels and the calendars."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from icalendar import Calendar

from program import calendars, selectors
from program.demo import DEMO_AGENDA
from program.models import SessionKind
from tests.factories import SessionFactory

BEFORE = [("program", "0002_event_retention")]
AFTER = [("program", "0003_session_kinds_of_a_scientific_meeting")]


def migrate(targets):
    """Migrate the test database to `targets`; return the app registry as it stands there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_latest(transactional_db):
    yield
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_migration_maps_welcome_to_opening_or_closing_by_title(back_to_latest):
    old_apps = migrate(BEFORE)
    Event, Session = old_apps.get_model("program", "Event"), old_apps.get_model("program", "Session")
    event = Event.objects.create(
        slug="old", name="Old", start_date=dt.date(2030, 11, 12), end_date=dt.date(2030, 11, 13)
    )
    start = dt.datetime(2030, 11, 12, 14, tzinfo=dt.UTC)
    for title, kind in [
        ("Welcome and goals", "welcome"),
        ("Closing remarks", "welcome"),
        ("Wrap-up and next steps", "welcome"),
        ("Closed-loop control", "talks"),
        ("Lunch", "meal"),
    ]:
        Session.objects.create(event=event, title=title, kind=kind, start=start, end=start + dt.timedelta(hours=1))

    new_apps = migrate(AFTER)

    assert dict(new_apps.get_model("program", "Session").objects.values_list("title", "kind")) == {
        "Welcome and goals": "opening",
        "Closing remarks": "closing",
        "Wrap-up and next steps": "closing",
        "Closed-loop control": "talks",
        "Lunch": "meal",
    }


def test_migration_back_folds_opening_and_closing_into_welcome(back_to_latest):
    for kind in (SessionKind.OPENING, SessionKind.CLOSING, SessionKind.OTHER, SessionKind.PANEL):
        SessionFactory(title=kind.label, kind=kind)

    old_apps = migrate(BEFORE)

    assert dict(old_apps.get_model("program", "Session").objects.values_list("title", "kind")) == {
        "Opening": "welcome",
        "Closing": "welcome",
        "Other": "talks",
        "Panel": "panel",
    }


def test_demo_closes_with_a_closing_session():
    kinds = {row.title: row.kind for row in DEMO_AGENDA}

    assert (kinds["Welcome"], kinds["Closing remarks"]) == (SessionKind.OPENING, SessionKind.CLOSING)


@pytest.mark.django_db
def test_agenda_names_the_closing_session_closing(client):
    session = SessionFactory(title="Closing remarks", kind=SessionKind.CLOSING, room="Auditorium")

    response = client.get(reverse("program:agenda", kwargs={"slug": session.event.slug}))

    assert '<p class="session__kind">Closing · Auditorium</p>' in response.content.decode()


@pytest.mark.django_db
def test_agenda_leaves_out_the_kind_other(client):
    session = SessionFactory(title="Group photo", kind=SessionKind.OTHER, room="Front steps")

    response = client.get(reverse("program:agenda", kwargs={"slug": session.event.slug}))

    assert '<p class="session__kind">Front steps</p>' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "categories"),
    [(SessionKind.OPENING, ["Opening"]), (SessionKind.CLOSING, ["Closing"]), (SessionKind.OTHER, None)],
)
def test_calendar_categories_name_the_kind(kind, categories):
    session = SessionFactory(kind=kind)

    (vevent,) = Calendar.from_ical(
        calendars.agenda_calendar(session.event, selectors.agenda_sessions(session.event))
    ).walk("VEVENT")

    assert (vevent.categories or None) == categories


@pytest.mark.parametrize("kind", list(SessionKind))
def test_only_breaks_and_meals_are_breaks(kind):
    assert SessionFactory.build(kind=kind).is_break is (kind in (SessionKind.BREAK, SessionKind.MEAL))
