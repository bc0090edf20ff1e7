"""Organizers' registration admin: filters, CSV export, actions and capacity changes that promote."""

import csv
import io

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from registration import selectors
from registration.models import Mode, Notification, Registration, Status
from tests.admin_forms import changeform_data
from tests.factories import EventFactory, RegistrationFactory, UserFactory, register

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:registration_registration_changelist"


def waitlisted(event, **kwargs):
    return RegistrationFactory(event=event, status=Status.WAITLISTED, waitlisted_at=timezone.now(), **kwargs)


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_non_staff_cannot_see_registrations(client):
    client.force_login(UserFactory())

    response = client.get(reverse(CHANGELIST))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_filtered_csv_export_holds_the_filtered_rows_and_neutralises_formulas(staff_client):
    event = EventFactory(slug="neuro")
    RegistrationFactory(
        event=event,
        badge_name='=HYPERLINK("http://evil")',
        affiliation="+1 Lab",
        dietary_needs="-vegan",
        pronouns="@they",
    )
    RegistrationFactory(event=event, badge_name="Virtual Vera", mode=Mode.VIRTUAL)
    RegistrationFactory(badge_name="Other Event Otto")

    response = staff_client.get(
        reverse("admin:registration_export") + f"?event__id__exact={event.pk}&mode=in_person&contents=full"
    )

    rows = read_csv(response)
    assert response["Content-Disposition"].startswith('attachment; filename="registrations-neuro-')
    assert rows[0][:4] == ["Registration", "Event", "Badge name", "Email"]
    assert len(rows) == 2
    header = rows[0]
    row = dict(zip(header, rows[1], strict=True))
    assert row["Badge name"] == '\'=HYPERLINK("http://evil")'
    assert (row["Affiliation"], row["Dietary needs"], row["Pronouns"]) == ("'+1 Lab", "'-vegan", "'@they")


def test_export_with_a_broken_filter_is_a_clear_400(staff_client):
    response = staff_client.get(reverse("admin:registration_export") + "?created_at__gte=not-a-date")

    assert response.status_code == 400
    assert b"not valid" in response.content


@pytest.fixture
def two_kinds_of_registrant(db):
    """Ada and Grace differ in everything the registration list filters and searches on."""
    ada = RegistrationFactory(
        event=EventFactory(),
        mode=Mode.IN_PERSON,
        checked_in_at=timezone.now(),
        career_stage="student",
        badge_name="Ada Lovelace",
        affiliation="Analytical Engines Lab",
        user__email="ada@example.org",
    )
    grace = RegistrationFactory(
        event=EventFactory(),
        mode=Mode.VIRTUAL,
        status=Status.WAITLISTED,
        waitlisted_at=timezone.now(),
        career_stage="senior",
        badge_name="Grace Hopper",
        affiliation="Compiler Institute",
        user__email="grace@example.org",
    )
    return ada, grace


@pytest.mark.parametrize(
    ("query", "finds"),
    [
        ({"event__id__exact": "{ada_event}"}, "ada"),
        ({"mode__exact": "virtual"}, "grace"),
        ({"status__exact": "waitlisted"}, "grace"),
        ({"checked_in": "yes"}, "ada"),
        ({"checked_in": "no"}, "grace"),
        ({"career_stage__exact": "senior"}, "grace"),
        ({"q": "lovelace"}, "ada"),
        ({"q": "grace@example"}, "grace"),
        ({"q": "analytical"}, "ada"),
    ],
    ids=lambda value: value if isinstance(value, str) else next(iter(value)),
)
def test_changelist_filters_and_searches_as_the_readme_says(staff_client, two_kinds_of_registrant, query, finds):
    ada, grace = two_kinds_of_registrant
    query = {name: value.format(ada_event=ada.event_id) for name, value in query.items()}

    response = staff_client.get(reverse(CHANGELIST), query)

    assert [row.pk for row in response.context["cl"].result_list] == [{"ada": ada, "grace": grace}[finds].pk]


def test_changelist_query_count_does_not_grow_with_rows(staff_client):
    def queries_for(count):
        event = EventFactory()
        for _ in range(count):
            waitlisted(event)
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(reverse(CHANGELIST), {"event__id__exact": event.pk}).status_code == 200
        return len(captured)

    assert queries_for(10) == queries_for(2)


def test_changelist_shows_each_waitlisted_persons_place_in_their_mode(staff_client):
    event = EventFactory()
    first, second = waitlisted(event), waitlisted(event)
    virtual = waitlisted(event, mode=Mode.VIRTUAL)
    confirmed = RegistrationFactory(event=event)

    response = staff_client.get(reverse(CHANGELIST), {"event__id__exact": event.pk})

    places = {row.pk: row.waitlist_place for row in response.context["cl"].result_list}
    assert places == {first.pk: 1, second.pk: 2, virtual.pk: 1, confirmed.pk: None}
    assert [selectors.waitlist_position(row) for row in (first, second, virtual, confirmed)] == [1, 2, 1, None]
    assert "(#2)</td>" in response.content.decode()


def test_cancel_action_frees_the_seat_and_promotes(staff_client):
    event = EventFactory(in_person_capacity=1)
    holder = register(event)
    waiting = register(event)

    staff_client.post(reverse(CHANGELIST), {"action": "cancel_selected", "_selected_action": [holder.pk]})

    holder.refresh_from_db()
    waiting.refresh_from_db()
    assert (holder.status, waiting.status) == (Status.CANCELLED, Status.CONFIRMED)


def test_promote_action_refuses_without_a_seat_and_raises_capacity_when_asked(staff_client):
    event = EventFactory(in_person_capacity=1)
    register(event)
    waiting = register(event)

    refused = staff_client.post(
        reverse(CHANGELIST), {"action": "promote_selected", "_selected_action": [waiting.pk]}, follow=True
    )
    staff_client.post(reverse(CHANGELIST), {"action": "promote_raising_capacity", "_selected_action": [waiting.pk]})

    assert "No in-person seat is free" in next(str(m) for m in get_messages(refused.wsgi_request))
    waiting.refresh_from_db()
    event.refresh_from_db()
    assert (waiting.status, event.in_person_capacity) == (Status.CONFIRMED, 2)


def test_resend_confirmation_sends_the_registrant_their_confirmation_again(
    staff_client, mailoutbox, django_capture_on_commit_callbacks
):
    registration = RegistrationFactory(event__name="Resend Workshop", user__email="ada@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse(CHANGELIST), {"action": "resend_confirmation", "_selected_action": [registration.pk]})

    (message,) = mailoutbox
    assert message.to == ["ada@example.org"]
    assert message.subject == "You are registered for Resend Workshop (in person)"
    (notice,) = Notification.objects.filter(registration=registration)
    assert (notice.kind, notice.sent_at is not None) == ("confirmation", True)


def test_capacity_page_raises_capacity_and_promotes_in_order(staff_client):
    event = EventFactory(in_person_capacity=1)
    register(event)
    first = register(event)
    second = register(event)

    response = staff_client.post(
        reverse("admin:registration_capacity", args=[event.pk]), {"in_person_capacity": "2", "virtual_capacity": ""}
    )

    assert response.status_code == 302
    assert Registration.objects.get(pk=first.pk).status == Status.CONFIRMED
    assert Registration.objects.get(pk=second.pk).status == Status.WAITLISTED


def test_capacity_page_rejects_a_negative_number(staff_client):
    event = EventFactory(in_person_capacity=3)

    response = staff_client.post(reverse("admin:registration_capacity", args=[event.pk]), {"in_person_capacity": "-1"})

    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 0." in response.content.decode()
    event.refresh_from_db()
    assert event.in_person_capacity == 3


def test_registrations_cannot_be_added_or_deleted_in_the_admin(staff_client):
    registration = RegistrationFactory()

    add = staff_client.get(reverse("admin:registration_registration_add"))
    delete = staff_client.get(reverse("admin:registration_registration_delete", args=[registration.pk]))

    assert (add.status_code, delete.status_code) == (403, 403)


def test_raising_capacity_on_the_event_page_promotes_the_waitlist(staff_client):
    event = EventFactory(in_person_capacity=1)
    register(event)
    waiting = register(event)
    url = reverse("admin:program_event_change", args=[event.pk])
    data = changeform_data(staff_client.get(url))
    data["in_person_capacity"] = "2"

    response = staff_client.post(url, data)

    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == Status.CONFIRMED


def test_roster_export_holds_no_needs_or_consent_and_says_so_in_its_name(staff_client):
    event = EventFactory(slug="neuro")
    RegistrationFactory(event=event, badge_name="Ada", dietary_needs="vegan", accessibility_needs="ramp")

    response = staff_client.get(reverse("admin:registration_export") + f"?event__id__exact={event.pk}&contents=roster")

    rows = read_csv(response)
    assert 'filename="registrations-neuro-roster-' in response["Content-Disposition"]
    assert "Dietary needs" not in rows[0] and "Accessibility needs" not in rows[0]
    assert "vegan" not in response.content.decode()
    assert rows[1][2] == "Ada"


def test_unknown_export_is_a_clear_400(staff_client):
    response = staff_client.get(reverse("admin:registration_export") + "?contents=everything")

    assert response.status_code == 400
    assert b"Unknown export 'everything'" in response.content


def test_full_export_neutralises_a_question_that_starts_like_a_formula_in_its_header(staff_client):
    event = EventFactory()
    RegistrationFactory(event=event, extra_answers={"1": {"question": '=HYPERLINK("http://evil")', "answer": "=1+1"}})

    response = staff_client.get(reverse("admin:registration_export") + f"?event__id__exact={event.pk}&contents=full")

    header, row = read_csv(response)
    assert (header[-1], row[-1]) == ('\'=HYPERLINK("http://evil")', "'=1+1")


def test_full_export_has_a_column_for_each_question_answered_in_the_selection(staff_client):
    event = EventFactory()
    RegistrationFactory(event=event, badge_name="Ada", extra_answers={"1": {"question": "T-shirt", "answer": "M"}})
    RegistrationFactory(event=event, badge_name="Bea", extra_answers={"2": {"question": "email", "answer": "b@x.org"}})
    RegistrationFactory(extra_answers={"3": {"question": "Other event's question", "answer": "no"}})

    response = staff_client.get(reverse("admin:registration_export") + f"?event__id__exact={event.pk}&contents=full")

    rows = read_csv(response)
    assert rows[0][-3:] == ["Consent wording version", "T-shirt", "email"]
    assert sorted((row[2], *row[-2:]) for row in rows[1:]) == [("Ada", "M", ""), ("Bea", "", "b@x.org")]


def test_export_selected_action_exports_the_full_columns_of_the_selection(staff_client):
    chosen = RegistrationFactory(badge_name="Chosen", dietary_needs="vegan")
    RegistrationFactory(badge_name="Not chosen")

    response = staff_client.post(
        reverse(CHANGELIST), {"action": "export_selected_csv", "_selected_action": [chosen.pk]}
    )

    rows = read_csv(response)
    assert response.content.startswith("\ufeff".encode())
    assert 'filename="registrations-all-events-full-' in response["Content-Disposition"]
    assert [dict(zip(rows[0], row, strict=True))["Dietary needs"] for row in rows[1:]] == ["vegan"]


def test_export_is_refused_without_view_permission(client):
    client.force_login(UserFactory(is_staff=True))

    response = client.get(reverse("admin:registration_export") + "?contents=roster")

    assert response.status_code == 403


def test_export_query_count_does_not_grow_with_rows(staff_client):
    def queries_for(count):
        event = EventFactory()
        for number in range(count):
            RegistrationFactory(event=event, extra_answers={"1": {"question": f"Q{number}", "answer": "a"}})
        with CaptureQueriesContext(connection) as captured:
            response = staff_client.get(
                reverse("admin:registration_export") + f"?event__id__exact={event.pk}&contents=full"
            )
        assert len(read_csv(response)) == count + 1
        return len(captured)

    assert queries_for(10) == queries_for(2)


def test_capacity_page_is_laid_out_as_an_admin_form(staff_client):
    event = EventFactory(in_person_capacity=3)

    response = staff_client.get(reverse("admin:registration_capacity", args=[event.pk]))

    page = response.content.decode()
    assert '<link rel="stylesheet" href="/static/admin/css/forms.css">' in page
    assert '<fieldset class="module aligned ">' in page
    assert page.count('<div class="form-row field-') == 2
    assert '<label class="required" for="id_in_person_capacity">In-person capacity:</label>' in page


def test_capacity_page_says_what_to_correct_beside_the_field(staff_client):
    event = EventFactory(in_person_capacity=3)

    response = staff_client.post(reverse("admin:registration_capacity", args=[event.pk]), {"in_person_capacity": "-1"})

    page = response.content.decode()
    assert '<p class="errornote">Please correct the error below.</p>' in page
    assert '<div class="form-row errors field-in_person_capacity">' in page


def test_registration_list_puts_the_status_before_the_wide_columns(staff_client):
    registration = RegistrationFactory()

    response = staff_client.get(reverse(CHANGELIST))

    assert response.context["cl"].list_display == [
        "action_checkbox",
        "badge_name",
        "status_with_position",
        "mode",
        "checked_in",
        "affiliation",
        "email",
        "event_address",
        "registered_on",
    ]
    page = response.content.decode()
    assert f'<span title="{registration.event}">{registration.event.slug}</span>' in page
    # The list takes the page's width: the app sidebar would push its last columns out of sight at 1280 px.
    assert 'id="nav-sidebar"' not in page


def test_registration_list_of_one_event_leaves_out_the_event_column(staff_client):
    registration = RegistrationFactory()

    response = staff_client.get(reverse(CHANGELIST), {"event__id__exact": registration.event_id})

    assert "event_address" not in response.context["cl"].list_display
    assert list(response.context["cl"].result_list) == [registration]
