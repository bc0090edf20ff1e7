"""The check-in desk: what a scan or a typed code does, who may see the desk, the count and the search."""

import datetime as dt
import json

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registration import checkin
from registration.checkin import Outcome
from registration.models import Mode, Registration, Status
from registration.tokens import checkin_token, checkin_url
from tests.factories import EventFactory, RegistrationFactory, StaffFactory, UserFactory
from tests.races import race

pytestmark = pytest.mark.django_db

NOON_UTC = dt.datetime(2030, 11, 12, 17, 5, tzinfo=dt.UTC)


def desk_url(event, **query):
    url = reverse("registration:checkin", kwargs={"slug": event.slug})
    return url + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")


def stats_url(event):
    return reverse("registration:checkin-stats", kwargs={"slug": event.slug})


def tampered(token: str) -> str:
    """The token with one character of its payload (the check-in code) changed."""
    index = token.index(".") + 1
    return token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]


@pytest.fixture
def event():
    return EventFactory(name="NeuroAI Workshop 2030")


@pytest.fixture
def ada(event):
    return RegistrationFactory(event=event, badge_name="Ada Lovelace", affiliation="Analytical Engine Society")


# The service: every outcome.


def test_typed_code_checks_in_a_confirmed_in_person_attendee(event, ada, staff):
    result = checkin.check_in(event=event, entry=ada.checkin_code, actor=staff)

    ada.refresh_from_db()
    assert result.outcome == Outcome.CHECKED_IN
    assert result.level == "success"
    assert result.message == "Ada Lovelace (Analytical Engine Society) is checked in."
    assert result.registration == ada
    assert ada.checked_in_at is not None


@pytest.mark.parametrize("typed", ["{lower}", " {spaced} ", "{dashed}", "{lower_dashed}"])
def test_typed_code_ignores_case_spaces_and_dashes(event, ada, staff, typed):
    code = ada.checkin_code
    entry = typed.format(
        lower=code.lower(),
        spaced=f"{code[:4]} {code[4:]}",
        dashed=f"{code[:4]}-{code[4:]}",
        lower_dashed=f"{code[:2]}-{code[2:6]} – {code[6:]}".lower(),
    )

    assert checkin.check_in(event=event, entry=entry, actor=staff).outcome == Outcome.CHECKED_IN


def test_badge_url_from_the_qr_code_checks_in(event, ada, staff):
    assert checkin.check_in(event=event, entry=checkin_url(ada), actor=staff).outcome == Outcome.CHECKED_IN


def test_bare_token_checks_in(event, ada, staff):
    assert checkin.check_in(event=event, entry=checkin_token(ada), actor=staff).outcome == Outcome.CHECKED_IN


def test_second_check_in_changes_nothing_and_says_when_in_the_event_timezone(staff):
    event = EventFactory(timezone="America/Los_Angeles")
    ada = RegistrationFactory(event=event, badge_name="Ada Lovelace", checked_in_at=NOON_UTC)

    result = checkin.check_in(event=event, entry=ada.checkin_code, actor=staff)

    ada.refresh_from_db()
    assert result.outcome == Outcome.ALREADY_CHECKED_IN
    assert result.level == "warning"
    assert result.message == (
        "Ada Lovelace was already checked in at 9:05 AM PST on Tuesday, November 12. "
        "Nothing changed; if this is not the same person, call the organizer."
    )
    assert ada.checked_in_at == NOON_UTC


def test_checking_in_twice_keeps_the_first_time(event, ada, staff):
    checkin.check_in(event=event, entry=ada.checkin_code, actor=staff)
    ada.refresh_from_db()
    first = ada.checked_in_at

    again = checkin.check_in(event=event, entry=checkin_url(ada), actor=staff)

    ada.refresh_from_db()
    assert again.outcome == Outcome.ALREADY_CHECKED_IN
    assert ada.checked_in_at == first


def test_cancelled_registration_is_refused(event, staff):
    gone = RegistrationFactory(event=event, badge_name="Grace Hopper", status=Status.CANCELLED)

    result = checkin.check_in(event=event, entry=gone.checkin_code, actor=staff)

    assert (result.outcome, result.level) == (Outcome.CANCELLED, "error")
    assert result.message == "Grace Hopper cancelled this registration. Not checked in: send them to the organizer."
    assert Registration.objects.get(pk=gone.pk).checked_in_at is None


def test_waitlisted_with_a_virtual_seat_is_refused_and_told_so(event, staff):
    waiting = RegistrationFactory(
        event=event,
        badge_name="Alan Turing",
        status=Status.WAITLISTED,
        waitlisted_at=timezone.now(),
        virtual_meanwhile=True,
    )

    result = checkin.check_in(event=event, entry=waiting.checkin_code, actor=staff)

    assert result.outcome == Outcome.WAITLISTED
    assert result.message == (
        "Alan Turing is on the in-person waitlist and has no seat in the room. Not checked in. "
        "They hold a virtual seat meanwhile, so they can watch online. Ask the organizer whether a seat is free."
    )
    assert Registration.objects.get(pk=waiting.pk).checked_in_at is None


def test_waitlisted_without_a_virtual_seat_is_refused_and_told_so(event, staff):
    waiting = RegistrationFactory(
        event=event, badge_name="Alan Turing", status=Status.WAITLISTED, waitlisted_at=timezone.now()
    )

    result = checkin.check_in(event=event, entry=waiting.checkin_code, actor=staff)

    assert result.outcome == Outcome.WAITLISTED
    assert "They hold no virtual seat either." in result.message


def test_virtual_registration_is_not_an_in_person_seat(event, staff):
    remote = RegistrationFactory(event=event, badge_name="Katherine Johnson", mode=Mode.VIRTUAL)

    result = checkin.check_in(event=event, entry=checkin_url(remote), actor=staff)

    assert result.outcome == Outcome.VIRTUAL
    assert result.message == (
        "Katherine Johnson registered to attend virtually: that is not an in-person seat. "
        "Not checked in: ask the organizer."
    )
    assert Registration.objects.get(pk=remote.pk).checked_in_at is None


def test_token_for_another_event_names_that_event(event, staff):
    elsewhere = RegistrationFactory(event=EventFactory(name="Connectomics Retreat 2031"))

    result = checkin.check_in(event=event, entry=checkin_url(elsewhere), actor=staff)

    assert result.outcome == Outcome.WRONG_EVENT
    assert result.message == "This badge is for Connectomics Retreat 2031, not NeuroAI Workshop 2030. Not checked in."
    assert Registration.objects.get(pk=elsewhere.pk).checked_in_at is None


def test_typed_code_of_another_event_names_that_event(event, staff):
    elsewhere = RegistrationFactory(event=EventFactory(name="Connectomics Retreat 2031"))

    result = checkin.check_in(event=event, entry=elsewhere.checkin_code, actor=staff)

    assert result.outcome == Outcome.WRONG_EVENT
    assert "Connectomics Retreat 2031" in result.message


def test_genuine_badge_of_a_deleted_event_is_for_another_event(event, staff):
    elsewhere = RegistrationFactory(event=EventFactory(name="Connectomics Retreat 2031"))
    badge = checkin_url(elsewhere)
    elsewhere.event.delete()

    result = checkin.check_in(event=event, entry=badge, actor=staff)

    assert result.outcome == Outcome.WRONG_EVENT
    assert result.message == "This badge is for another event, not NeuroAI Workshop 2030. Not checked in."


def test_check_in_without_an_affiliation_names_only_the_person(event, staff):
    ada = RegistrationFactory(event=event, badge_name="Ada Lovelace", affiliation="")

    assert checkin.check_in(event=event, entry=ada.checkin_code, actor=staff).message == "Ada Lovelace is checked in."


def test_check_in_is_logged_with_who_checked_in_whom(event, ada, staff, caplog):
    caplog.set_level("INFO", logger="registration.checkin")

    checkin.check_in(event=event, entry=ada.checkin_code, actor=staff)

    assert [record.getMessage() for record in caplog.records] == [
        f"Checked in registration {ada.pk} for event {event.pk} by user {staff.pk}"
    ]


@pytest.mark.parametrize(
    "state",
    [
        {"status": Status.CANCELLED},
        {"status": Status.WAITLISTED, "waitlisted_at": NOON_UTC},
        {"mode": Mode.VIRTUAL},
        {"checked_in_at": NOON_UTC},
    ],
    ids=["cancelled", "waitlisted", "virtual", "checked in"],
)
def test_a_refused_person_is_shown_to_the_volunteer(event, staff, state):
    person = RegistrationFactory(event=event, **state)

    assert checkin.check_in(event=event, entry=person.checkin_code, actor=staff).registration == person


def test_a_registration_without_a_badge_name_is_this_person(event, staff):
    erased = RegistrationFactory(event=event, badge_name="", status=Status.CANCELLED)

    result = checkin.check_in(event=event, entry=erased.checkin_code, actor=staff)

    assert result.message == "This person cancelled this registration. Not checked in: send them to the organizer."


def test_waitlisted_for_a_virtual_seat_is_on_the_virtual_waitlist(event, staff):
    waiting = RegistrationFactory(
        event=event, badge_name="Alan Turing", mode=Mode.VIRTUAL, status=Status.WAITLISTED, waitlisted_at=NOON_UTC
    )

    result = checkin.check_in(event=event, entry=waiting.checkin_code, actor=staff)

    assert result.message == (
        "Alan Turing is on the virtual waitlist and has no seat in the room. Not checked in. "
        "They hold no virtual seat either. Ask the organizer whether a seat is free."
    )


def test_scan_that_kept_only_the_query_string_checks_in(event, ada, staff):
    entry = f"?t={checkin_token(ada)}"

    assert checkin.check_in(event=event, entry=entry, actor=staff).outcome == Outcome.CHECKED_IN


def test_a_path_without_a_token_is_not_a_badge_link(event, staff):
    result = checkin.check_in(event=event, entry=desk_url(event), actor=staff)

    assert (result.outcome, result.message) == (
        Outcome.INVALID,
        "That link is not a badge's check-in link. Type the code printed on the badge.",
    )


def test_badge_links_up_to_2000_characters_are_read_and_longer_entries_are_not(event, ada, staff):
    link = checkin_url(ada) + "&from="
    longest = link + "x" * (checkin.MAX_ENTRY_LENGTH - len(link))

    too_long = checkin.check_in(event=event, entry=longest + "x", actor=staff)
    assert too_long.outcome == Outcome.INVALID
    assert too_long.message.startswith(f"“{longest[:39]}…” is not a check-in code.")
    assert checkin.check_in(event=event, entry=longest, actor=staff).outcome == Outcome.CHECKED_IN


@pytest.mark.parametrize(
    ("entry", "shown"), [("Ada " * 9 + "Ada!", "Ada " * 9 + "Ada!"), ("Ada " * 9 + "Ada!!", "Ada " * 9 + "Ada…")]
)
def test_a_long_entry_that_is_no_code_is_shown_cut_to_40_characters(event, staff, entry, shown):
    result = checkin.check_in(event=event, entry=entry, actor=staff)

    assert result.message == (
        f"“{shown}” is not a check-in code. A code has 8 letters and digits, like K7PM 2QXD. "
        "To find someone by name, use the search."
    )


@pytest.mark.parametrize("shape", ["token", "url"])
def test_forged_token_is_refused(event, ada, staff, shape):
    forged = tampered(checkin_token(ada))
    entry = forged if shape == "token" else f"http://testserver{desk_url(event)}?t={forged}"

    result = checkin.check_in(event=event, entry=entry, actor=staff)

    assert result.outcome == Outcome.FORGED
    assert result.message == (
        "This badge's QR code is not genuine: it is forged or damaged. "
        "Not checked in: ask for the person's name and search for it below."
    )
    assert Registration.objects.get(pk=ada.pk).checked_in_at is None


def test_unknown_code_is_refused(event, staff):
    result = checkin.check_in(event=event, entry="zzzz-2222", actor=staff)

    assert result.outcome == Outcome.UNKNOWN_CODE
    assert result.message == "No registration has the code ZZZZ2222. Check the code, or search by name."


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("", "Nothing was entered. Type or scan a check-in code."),
        ("   ", "Nothing was entered. Type or scan a check-in code."),
        (
            "Ada",
            "“Ada” is not a check-in code. A code has 8 letters and digits, like K7PM 2QXD. "
            "To find someone by name, use the search.",
        ),
        (
            "http://[oops/?t=1:2",
            "That link is not a badge's check-in link. Type the code printed on the badge.",
        ),
        (
            "https://example.org/events/x/",
            "That link is not a badge's check-in link. Type the code printed on the badge.",
        ),
    ],
)
def test_anything_else_gets_a_plain_message(event, staff, entry, message):
    result = checkin.check_in(event=event, entry=entry, actor=staff)

    assert (result.outcome, result.message) == (Outcome.INVALID, message)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entry=st.one_of(st.text(max_size=80), st.sampled_from(["\x00", "?t=", "a:b:c", "x" * 5000, "ÄÖÜ:ÿ", "%00"])))
def test_no_entry_raises(event, staff, entry):
    result = checkin.check_in(event=event, entry=entry, actor=staff)

    assert result.outcome in {Outcome.INVALID, Outcome.FORGED, Outcome.UNKNOWN_CODE}
    assert result.message


def test_preview_writes_nothing(event, ada):
    result = checkin.preview(event=event, entry=checkin_token(ada))

    assert (result.outcome, result.level, result.message) == (
        Outcome.READY,
        "info",
        "Ada Lovelace has a confirmed in-person seat.",
    )
    assert Registration.objects.get(pk=ada.pk).checked_in_at is None


def test_counts_checked_in_against_confirmed_in_person(event):
    RegistrationFactory(event=event, checked_in_at=NOON_UTC)
    RegistrationFactory(event=event)
    RegistrationFactory(event=event, mode=Mode.VIRTUAL)
    RegistrationFactory(event=event, status=Status.CANCELLED)
    RegistrationFactory(event=event, status=Status.WAITLISTED, waitlisted_at=timezone.now())
    RegistrationFactory(checked_in_at=NOON_UTC)

    assert checkin.counts(event) == checkin.Counts(checked_in=1, expected=2)


def test_search_matches_name_email_and_affiliation_case_insensitively(event):
    ada = RegistrationFactory(event=event, badge_name="Ada Lovelace", affiliation="Analytical Engine Society")
    grace = RegistrationFactory(
        event=event, badge_name="Grace Hopper", affiliation="US Navy", user=UserFactory(email="amazing@navy.example")
    )
    RegistrationFactory(event=event, badge_name="Ada Cancelled", status=Status.CANCELLED)
    RegistrationFactory(badge_name="Ada Elsewhere")

    assert checkin.search(event, "ada", by_email=True) == [ada]
    assert checkin.search(event, "NAVY", by_email=True) == [grace]
    assert checkin.search(event, "amazing", by_email=True) == [grace]
    assert checkin.search(event, "engine", by_email=True) == [ada]
    assert checkin.search(event, "ada society", by_email=True) == [ada]
    assert checkin.search(event, "  ", by_email=True) == []
    assert checkin.search(event, "\x00", by_email=True) == []
    # A volunteer who may only check people in does not search by email.
    assert checkin.search(event, "amazing", by_email=False) == []


def test_search_matches_every_word_email_included(event):
    ada = RegistrationFactory(event=event, badge_name="Ada Lovelace")
    RegistrationFactory(event=event, badge_name="Ada Byron")

    assert checkin.search(event, "lovelace ada", by_email=True) == [ada]
    assert checkin.search(event, "lovelace ada", by_email=False) == [ada]


def test_search_ignores_a_nul_in_the_query(event):
    ada = RegistrationFactory(event=event, badge_name="Ada Lovelace")

    assert checkin.search(event, "Ada\x00", by_email=True) == [ada]


def test_search_returns_at_most_twenty_in_name_order(event):
    for number in range(25):
        RegistrationFactory(event=event, badge_name=f"Neuro Person {number:02d}")

    found = checkin.search(event, "neuro", by_email=True)

    assert [registration.badge_name for registration in found] == [f"Neuro Person {n:02d}" for n in range(20)]


# The pages.


def test_anonymous_visitor_is_sent_to_the_admin_login(client, event, ada):
    for url in (desk_url(event), desk_url(event, t=checkin_token(ada)), stats_url(event)):
        response = client.get(url)

        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_non_staff_never_see_a_name(client, event, ada):
    client.force_login(UserFactory())

    responses = [
        client.get(desk_url(event, t=checkin_token(ada), q="ada"), follow=True),
        client.post(desk_url(event), {"entry": ada.checkin_code}, follow=True),
        client.get(stats_url(event), follow=True),
    ]

    for response in responses:
        assert response.redirect_chain[0][0].startswith("/admin/login/")
        assert "Ada Lovelace" not in response.content.decode()
    assert Registration.objects.get(pk=ada.pk).checked_in_at is None


def test_unknown_event_is_404(staff_client):
    assert staff_client.get("/events/no-such-event/checkin/").status_code == 404
    assert staff_client.get("/events/no-such-event/checkin/stats.json").status_code == 404


def test_desk_shows_scanner_entry_search_and_count(staff_client, event, ada):
    RegistrationFactory(event=event, checked_in_at=NOON_UTC)

    response = staff_client.get(desk_url(event))

    html = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    assert "<video" in html
    assert ">Start camera</button>" in html
    assert "HTTPS" in html
    assert 'name="entry"' in html
    assert 'name="q"' in html
    assert "<span data-checked-in>1</span> of <span data-expected>2</span></span> checked in" in html
    # The site's Content-Security-Policy allows no inline script or style.
    assert "<script>" not in html
    assert " style=" not in html
    assert " onclick=" not in html
    assert 'src="/static/js/checkin.js"' in html
    assert 'src="/static/js/vendor/jsqr/jsQR.js"' in html


def test_opening_the_badge_link_asks_to_confirm_and_does_not_check_in(staff_client, event, ada):
    token = checkin_token(ada)

    response = staff_client.get(desk_url(event, t=token))

    html = response.content.decode()
    assert response.context["result"].outcome == Outcome.READY
    assert "Ready to check in" in html
    assert f'<input type="hidden" name="entry" value="{token}">' in html
    assert "Check in Ada Lovelace</button>" in html
    assert Registration.objects.get(pk=ada.pk).checked_in_at is None


def test_opening_a_forged_badge_link_refuses_without_a_button(staff_client, event, ada):
    response = staff_client.get(desk_url(event, t=tampered(checkin_token(ada))))

    assert response.context["result"].outcome == Outcome.FORGED
    assert "Check in Ada" not in response.content.decode()


def test_posting_a_code_checks_in_and_shows_the_result(staff_client, event, ada):
    response = staff_client.post(desk_url(event), {"entry": ada.checkin_code.lower()})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'role="status"' in html
    assert 'class="checkin-result checkin-result--success" data-outcome="checked_in"' in html
    assert "Ada Lovelace (Analytical Engine Society) is checked in." in html
    assert "<span data-checked-in>1</span> of <span data-expected>1</span>" in html
    assert Registration.objects.get(pk=ada.pk).checked_in_at is not None

    again = staff_client.post(desk_url(event), {"entry": ada.checkin_code})

    assert 'data-outcome="already_checked_in"' in again.content.decode()


@pytest.mark.parametrize("entry", ["", "hello world", "x" * 3000, "\x00", "?t=%00", "a:b"])
def test_posting_nonsense_gets_a_message_not_an_error(staff_client, event, entry):
    response = staff_client.post(desk_url(event), {"entry": entry})

    assert response.status_code == 200
    assert 'class="checkin-result checkin-result--error"' in response.content.decode()


def test_posting_without_csrf_token_is_refused(event, ada):
    client = Client(enforce_csrf_checks=True)
    client.force_login(StaffFactory())

    response = client.post(desk_url(event), {"entry": ada.checkin_code})

    assert response.status_code == 403
    assert Registration.objects.get(pk=ada.pk).checked_in_at is None


def test_every_form_on_the_desk_carries_a_csrf_token(staff_client, event, ada):
    html = staff_client.get(desk_url(event, t=checkin_token(ada), q="ada")).content.decode()

    # Confirm, type a code, one search result, and the header's log-out form.
    assert html.count('method="post"') == 4
    assert html.count('name="csrfmiddlewaretoken"') == 4


def test_stats_json(staff_client, event):
    RegistrationFactory(event=event, checked_in_at=NOON_UTC)
    RegistrationFactory(event=event)
    RegistrationFactory(event=event, mode=Mode.VIRTUAL)

    response = staff_client.get(stats_url(event))

    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"checked_in": 1, "expected": 2}


def test_search_lists_people_with_status_and_a_check_in_button_for_seats(staff_client, event, ada):
    RegistrationFactory(event=event, badge_name="Ada Remote", mode=Mode.VIRTUAL)
    RegistrationFactory(event=event, badge_name="Ada Early", checked_in_at=NOON_UTC)

    response = staff_client.get(desk_url(event, q="ada"))

    html = response.content.decode()
    assert [registration.badge_name for registration, _ in response.context["people"]] == [
        "Ada Early",
        "Ada Lovelace",
        "Ada Remote",
    ]
    assert "<strong>checked in</strong> at 12:05 PM EST, Nov 12" in html
    assert f'<input type="hidden" name="entry" value="{ada.checkin_code}">' in html
    assert html.count("Check in<span") == 1
    assert "<strong>no in-person seat</strong>" in html


def test_search_button_checks_in_and_keeps_the_list(staff_client, event, ada):
    response = staff_client.post(desk_url(event), {"entry": ada.checkin_code, "q": "ada"})

    html = response.content.decode()
    assert 'data-outcome="checked_in"' in html
    assert "<strong>checked in</strong> at" in html


def test_search_for_nobody_says_so(staff_client, event):
    html = staff_client.get(desk_url(event, q="nobody")).content.decode()

    assert "No live registration matches “nobody”." in html


def test_desk_queries_do_not_grow_with_search_results(staff_client, event, django_assert_max_num_queries):
    for number in range(15):
        RegistrationFactory(event=event, badge_name=f"Neuro Person {number}")

    with django_assert_max_num_queries(8):
        response = staff_client.get(desk_url(event, q="neuro"))

    assert len(response.context["people"]) == 15


def test_desk_queries_do_not_grow_with_people_already_checked_in(staff_client, event, django_assert_max_num_queries):
    for number in range(15):
        RegistrationFactory(event=event, badge_name=f"Neuro Person {number}", checked_in_at=NOON_UTC)

    with django_assert_max_num_queries(8):
        response = staff_client.get(desk_url(event, q="neuro"))

    assert len(response.context["people"]) == 15


# Two desks scanning one badge at once.


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_two_desks_scanning_one_badge_check_it_in_once():
    if connection.vendor != "postgresql":
        pytest.skip("select_for_update does nothing on SQLite; `make test` runs this on PostgreSQL")
    event = EventFactory()
    ada = RegistrationFactory(event=event)
    staff = StaffFactory()
    outcomes, errors = race(
        [lambda: checkin.check_in(event=event, entry=checkin_url(ada), actor=staff).outcome for _ in range(6)]
    )

    assert errors == []
    assert sorted(outcomes) == sorted([Outcome.CHECKED_IN] + [Outcome.ALREADY_CHECKED_IN] * 5)


# The date guard and undo.


def undo_url(event):
    return reverse("registration:checkin-undo", kwargs={"slug": event.slug})


def today_at(event) -> dt.date:
    return timezone.now().astimezone(event.tzinfo).date()


@pytest.mark.parametrize(
    ("moment", "warned"),
    [
        (dt.datetime(2030, 11, 12, 4, 59, tzinfo=dt.UTC), "before"),  # 23:59 on the 11th in New York
        (dt.datetime(2030, 11, 12, 5, 0, tzinfo=dt.UTC), ""),  # midnight starting the 12th there: the first day
        (dt.datetime(2030, 11, 14, 4, 30, tzinfo=dt.UTC), ""),  # 23:30 on the 13th there: the last day
        (dt.datetime(2030, 11, 14, 5, 30, tzinfo=dt.UTC), "after"),  # 00:30 on the 14th there
    ],
)
def test_date_warning_counts_the_event_days_in_its_timezone(moment, warned):
    event = EventFactory(start_date=dt.date(2030, 11, 12), end_date=dt.date(2030, 11, 13))

    warning = checkin.date_warning(event, moment)

    if warned:
        assert f"is {warned} the event, which runs November 12–13, 2030." in warning
    else:
        assert warning == ""


def test_date_warning_says_the_day_at_the_venue():
    event = EventFactory(timezone="Asia/Tokyo", start_date=dt.date(2030, 3, 2), end_date=dt.date(2030, 3, 2))

    warning = checkin.date_warning(event, dt.datetime(2030, 3, 2, 16, 0, tzinfo=dt.UTC))

    assert warning == (
        "Today (Sunday, March 3, 2030 at the venue) is after the event, which runs Saturday, March 2, 2030. "
        "Check that this is the right event and day."
    )


def test_check_in_before_the_event_warns_and_still_checks_in(time_machine, staff):
    event = EventFactory(start_date=dt.date(2030, 11, 12), end_date=dt.date(2030, 11, 13))
    ada = RegistrationFactory(event=event)
    time_machine.move_to(dt.datetime(2030, 11, 11, 15, tzinfo=dt.UTC))  # 10:00 the day before, in New York

    result = checkin.check_in(event=event, entry=ada.checkin_code, actor=staff)

    assert result.outcome == Outcome.CHECKED_IN
    assert result.warning.startswith("Today (")
    assert "is before the event, which runs November 12–13, 2030." in result.warning
    assert Registration.objects.get(pk=ada.pk).checked_in_at is not None


def test_check_in_on_an_event_day_has_no_warning(staff):
    event = EventFactory(timezone="Pacific/Kiritimati")
    event.start_date = event.end_date = today_at(event)
    event.save()
    ada = RegistrationFactory(event=event)

    result = checkin.check_in(event=event, entry=ada.checkin_code, actor=staff)

    assert (result.outcome, result.warning) == (Outcome.CHECKED_IN, "")


def test_desk_shows_the_date_warning_on_the_confirmation_and_after_the_check_in(staff_client, event, ada):
    confirm = staff_client.get(desk_url(event, t=checkin_token(ada))).content.decode()
    done = staff_client.post(desk_url(event), {"entry": ada.checkin_code}).content.decode()

    for html in (confirm, done):
        assert '<p class="checkin-result__warning"><strong>Check the date:</strong> Today (' in html


def test_desk_offers_undo_after_a_check_in(staff_client, event, ada):
    html = staff_client.post(desk_url(event), {"entry": ada.checkin_code}).content.decode()

    ada.refresh_from_db()
    assert f'action="{undo_url(event)}"' in html
    assert f'<input type="hidden" name="registration" value="{ada.pk}">' in html
    assert f'<input type="hidden" name="checked_in_at" value="{ada.checked_in_at.isoformat()}">' in html
    assert "Undo this check-in</button>" in html


def test_undo_within_a_minute_takes_the_check_in_back_and_is_audited(staff_client, staff, event, ada):
    staff_client.post(desk_url(event), {"entry": ada.checkin_code})
    ada.refresh_from_db()

    response = staff_client.post(
        undo_url(event), {"registration": ada.pk, "checked_in_at": ada.checked_in_at.isoformat()}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-outcome="undone"' in html
    assert "Ada Lovelace is no longer checked in." in html
    assert "<span data-checked-in>0</span> of <span data-expected>1</span>" in html
    assert Registration.objects.get(pk=ada.pk).checked_in_at is None
    last = LogEntry.objects.get_for_object(ada).order_by("pk").last()
    assert last.action == LogEntry.Action.UPDATE
    assert last.actor == staff
    assert set(last.changes) == {"checked_in_at"}
    assert last.changes["checked_in_at"][1] == "None"


def test_undo_after_a_minute_is_refused(staff_client, event):
    then = timezone.now() - dt.timedelta(seconds=checkin.UNDO_SECONDS + 1)
    ada = RegistrationFactory(event=event, badge_name="Ada Lovelace", checked_in_at=then)

    response = staff_client.post(undo_url(event), {"registration": ada.pk, "checked_in_at": then.isoformat()})

    assert response.context["result"].outcome == Outcome.UNDO_REFUSED
    assert "can be undone only within 60 seconds" in response.content.decode()
    assert Registration.objects.get(pk=ada.pk).checked_in_at == then


def test_undo_names_one_check_in_and_leaves_a_later_one_alone(staff, event):
    now = timezone.now()
    ada = RegistrationFactory(event=event, checked_in_at=now)

    result = checkin.undo_check_in(
        event=event, registration_id=ada.pk, checked_in_at=now - dt.timedelta(seconds=5), actor=staff
    )

    assert result.outcome == Outcome.UNDO_REFUSED
    assert Registration.objects.get(pk=ada.pk).checked_in_at == now


def test_undo_refuses_another_events_registration(staff):
    now = timezone.now()
    elsewhere = RegistrationFactory(checked_in_at=now)

    result = checkin.undo_check_in(event=EventFactory(), registration_id=elsewhere.pk, checked_in_at=now, actor=staff)

    assert (result.outcome, result.registration) == (Outcome.UNDO_REFUSED, None)
    assert Registration.objects.get(pk=elsewhere.pk).checked_in_at == now


def test_undo_with_a_broken_form_changes_nothing(staff_client, event, ada):
    response = staff_client.post(undo_url(event), {"registration": ada.pk, "checked_in_at": "yesterday"})

    assert response.context["result"].outcome == Outcome.UNDO_REFUSED


def test_undo_needs_the_check_in_permission_and_a_csrf_token(event):
    now = timezone.now()
    ada = RegistrationFactory(event=event, checked_in_at=now)
    data = {"registration": ada.pk, "checked_in_at": now.isoformat()}
    printer = StaffFactory(is_superuser=False)
    printer.user_permissions.set(Permission.objects.filter(codename="print_badges"))
    volunteer = StaffFactory(is_superuser=False)
    volunteer.user_permissions.set(Permission.objects.filter(codename="check_in"))
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(volunteer)
    client = Client()
    client.force_login(printer)

    assert client.post(undo_url(event), data).status_code == 403
    assert strict.post(undo_url(event), data).status_code == 403
    assert client.get(undo_url(event)).status_code == 403
    assert Registration.objects.get(pk=ada.pk).checked_in_at == now

    client.force_login(volunteer)
    assert client.post(undo_url(event), data).context["result"].outcome == Outcome.UNDONE
