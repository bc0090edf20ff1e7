"""The attendee pages: register, my registration, change mode, edit answers, cancel, data, deletion."""

import csv
import datetime as dt
import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from program.models import Event
from registration import selectors
from registration.models import Mode, Question, Registration, Status
from tests.factories import EventFactory, RegistrationFactory, UserFactory, verified_user

pytestmark = pytest.mark.django_db

VALID = {
    "mode": "in_person",
    "virtual_meanwhile": "on",
    "badge_name": "Ada Lovelace",
    "affiliation": "Analytical Engine Society",
    "career_stage": "senior",
    "pronouns": "she/her",
    "dietary_needs": "vegetarian",
    "accessibility_needs": "",
    "consent_recording": "yes",
    "code_of_conduct": "on",
}


def url(name, event, **kwargs):
    return reverse(f"registration:{name}", kwargs={"slug": event.slug, **kwargs})


@pytest.fixture
def attendee(client):
    user = verified_user()
    client.force_login(user)
    return user


def test_logged_out_visitor_is_sent_to_log_in(client):
    event = EventFactory()

    for name in ("my-registration", "edit-answers", "cancel"):
        response = client.get(url(name, event))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_register_tells_a_logged_out_visitor_an_account_is_needed_and_offers_sign_up_first(client):
    event = EventFactory()
    register = url("register", event)

    response = client.get(register)

    html = response.content.decode()
    assert response.status_code == 200
    assert "To register you need an account on this site" in html
    signup = f'<a class="button button--large" href="/accounts/signup/?next={register}">Create an account</a>'
    login = f'<a class="button button--secondary" href="/accounts/login/?next={register}">Log in</a>'
    assert signup in html
    assert html.index(signup) < html.index(login)
    assert 'name="badge_name"' not in html


def test_register_post_from_a_logged_out_visitor_registers_nobody(client):
    event = EventFactory()

    response = client.post(url("register", event), VALID)

    assert "To register you need an account on this site" in response.content.decode()
    assert not Registration.objects.exists()


def test_register_tells_a_logged_out_visitor_when_registration_is_closed(client):
    event = EventFactory(start_date=dt.date(2020, 1, 1), end_date=dt.date(2020, 1, 2))

    html = client.get(url("register", event)).content.decode()

    assert '<p class="callout" role="status">' in html
    assert "Create an account" not in html


def test_register_in_person_confirms_and_shows_my_page(client, attendee):
    event = EventFactory(in_person_capacity=10)

    response = client.post(url("register", event), VALID, follow=True)

    registration = Registration.objects.get(event=event, user=attendee)
    assert (registration.mode, registration.status, registration.badge_name) == (
        Mode.IN_PERSON,
        Status.CONFIRMED,
        "Ada Lovelace",
    )
    assert registration.dietary_needs == "vegetarian"
    assert response.redirect_chain == [(url("my-registration", event), 302)]
    assert "You&#x27;re registered to attend in person." in response.content.decode()
    assert "Confirmed, in person" in response.content.decode()


def test_invalid_registration_shows_errors_beside_fields_and_saves_nothing(client, attendee):
    event = EventFactory()
    data = {**VALID, "badge_name": "", "career_stage": "wizard", "code_of_conduct": ""}

    response = client.post(url("register", event), data)

    body = response.content.decode()
    assert response.status_code == 400
    assert Registration.objects.count() == 0
    assert 'id="id_badge_name_error"' in body
    assert 'aria-describedby="id_badge_name_helptext id_badge_name_error"' in body
    assert "Select a valid choice. wizard is not one of the available choices." in body
    assert "You must agree to the code of conduct to register." in body


def test_second_submit_shows_the_existing_registration(client, attendee):
    event = EventFactory()
    client.post(url("register", event), VALID)

    response = client.post(url("register", event), {**VALID, "mode": "virtual"})

    assert response.status_code == 302
    assert response["Location"] == url("my-registration", event)
    assert Registration.objects.filter(user=attendee).count() == 1
    assert Registration.objects.get(user=attendee).mode == Mode.IN_PERSON


@pytest.mark.parametrize("when", ["the form is invalid", "registration has closed", "the mode is not offered"])
def test_a_registered_person_posting_again_is_sent_to_their_page_when(client, attendee, when):
    event = EventFactory()
    client.post(url("register", event), VALID)
    posted = {**VALID, "badge_name": ""} if when == "the form is invalid" else VALID
    if when == "registration has closed":
        Event.objects.filter(pk=event.pk).update(registration_closes=timezone.now() - dt.timedelta(minutes=1))
        cache.clear()
    if when == "the mode is not offered":
        Event.objects.filter(pk=event.pk).update(in_person_capacity=0)
        cache.clear()

    response = client.post(url("register", event), posted, follow=True)

    assert response.redirect_chain == [(url("my-registration", event), 302)]
    assert "You are already registered for this event." in response.content.decode()
    assert Registration.objects.filter(user=attendee).count() == 1


def test_full_room_waitlists_with_position_and_virtual_seat(client, attendee):
    event = EventFactory(in_person_capacity=1)
    RegistrationFactory(event=event)

    response = client.post(url("register", event), VALID, follow=True)

    body = response.content.decode()
    assert "In-person attendance is full, so you are on its waitlist: your place is shown below." in body
    assert "Meanwhile you have a virtual seat." in body
    assert "You are <strong>number 1</strong> on the in-person waitlist." in body
    assert "Waitlisted for in person, with a virtual seat meanwhile" in body


def test_closed_or_past_event_says_why_and_accepts_nothing(client, attendee):
    past = EventFactory(start_date=dt.date(2020, 5, 1), end_date=dt.date(2020, 5, 2))
    not_yet = EventFactory(registration_opens=timezone.now() + dt.timedelta(days=3))

    for event, reason in [(past, "This event has already taken place."), (not_yet, "Registration opens")]:
        response = client.post(url("register", event), VALID)
        assert reason in response.content.decode()
    assert Registration.objects.count() == 0


def test_unverified_email_must_be_verified_before_registering(client):
    client.force_login(UserFactory())
    event = EventFactory()

    response = client.post(url("register", event), VALID)

    assert "Please verify your email address before you register" in response.content.decode()
    assert Registration.objects.count() == 0


def test_extra_questions_are_shown_and_validated_like_built_in_ones(client, attendee):
    event = EventFactory()
    lab = Question.objects.create(event=event, label="Lab website", kind="text", required=True)
    track = Question.objects.create(
        event=event, label="Track", kind="choice", choices="Theory\nExperiment", required=True
    )
    tour = Question.objects.create(
        event=event, label="Join the lab tour?", kind="yes_no", in_person_only=True, required=True
    )

    bad = client.post(url("register", event), {**VALID, track.field_name: "Gossip"})
    good = client.post(
        url("register", event),
        {
            **VALID,
            lab.field_name: "https://lab.example.org",
            track.field_name: "Theory",
            tour.field_name: "yes",
        },
    )

    assert bad.status_code == 400
    assert f'id="id_{lab.field_name}_error"' in bad.content.decode()
    assert "Select a valid choice. Gossip is not one of the available choices." in bad.content.decode()
    assert good.status_code == 302
    assert Registration.objects.get().extra_answers == {
        str(lab.pk): {"question": "Lab website", "answer": "https://lab.example.org"},
        str(track.pk): {"question": "Track", "answer": "Theory"},
        str(tour.pk): {"question": "Join the lab tour?", "answer": "yes"},
    }


def test_an_edited_question_shows_on_the_form_at_once(client, attendee, django_capture_on_commit_callbacks):
    event = EventFactory()
    question = Question.objects.create(event=event, label="Lab website", kind="text")
    for _ in range(3):  # the event and its questions are in the cache now
        assert "Lab website" in client.get(url("register", event)).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        question.label = "Your lab's website"
        question.save()
    edited = client.get(url("register", event)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        question.delete()
    deleted = client.get(url("register", event)).content.decode()

    assert "Your lab&#x27;s website" in edited
    assert "website" not in deleted


def test_in_person_only_question_is_not_required_of_virtual_attendees(client, attendee):
    event = EventFactory()
    Question.objects.create(event=event, label="Lab tour?", kind="yes_no", in_person_only=True, required=True)

    response = client.post(url("register", event), {**VALID, "mode": "virtual"})

    assert response.status_code == 302
    assert Registration.objects.get().extra_answers == {}


def test_change_mode_from_my_page(client, attendee):
    event = EventFactory()
    client.post(url("register", event), VALID)

    response = client.post(url("change-mode", event), {"mode": "virtual"}, follow=True)

    assert Registration.objects.get().mode == Mode.VIRTUAL
    assert "You&#x27;re registered to attend virtually." in response.content.decode()


@pytest.mark.parametrize(
    ("join_url", "says"),
    [
        ("https://zoom.example.org/j/42", "You will watch live on Zoom, with the join link below."),
        ("", "You will watch live on Zoom; the join link will appear here, and we will email it to you, once"),
    ],
    ids=["with a join link", "before the organizers add it"],
)
def test_virtual_attendees_page_says_where_the_join_link_is(client, attendee, join_url, says):
    event = EventFactory(virtual_join_url=join_url, virtual_platform="Zoom")
    client.post(url("register", event), {**VALID, "mode": "virtual"})

    body = client.get(url("my-registration", event)).content.decode()

    assert says in body
    assert "arrives with your confirmation" not in body
    assert ("Join the live stream" in body) == bool(join_url)
    assert ("The meeting's link, for registered attendees only" in body) == bool(join_url)


def test_switch_to_virtual_asks_first_and_says_the_seat_is_given_up(client, attendee):
    event = EventFactory()
    client.post(url("register", event), VALID)
    my_page = client.get(url("my-registration", event)).content.decode()

    confirm = client.get(url("change-mode", event), {"mode": "virtual"})

    html = confirm.content.decode()
    assert f'<form method="get" action="{url("change-mode", event)}">' in my_page
    assert confirm.status_code == 200
    assert "<h1>Switch to virtual?</h1>" in html
    assert "<strong>Your in-person seat is given up at once.</strong>" in html
    assert f'<form method="post" action="{url("change-mode", event)}">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<input type="hidden" name="mode" value="virtual">' in html
    assert "<script" not in html.split("</main>")[0]
    assert Registration.objects.get().mode == Mode.IN_PERSON


def test_switch_from_the_waitlist_says_the_place_is_lost(client, attendee):
    event = EventFactory(in_person_capacity=1)
    RegistrationFactory(event=event)
    client.post(url("register", event), VALID)

    html = client.get(url("change-mode", event), {"mode": "virtual"}).content.decode()

    assert "You leave the in-person waitlist, where you are number 1, and attend virtually." in html


def test_switch_to_in_person_when_full_says_it_joins_the_waitlist(client, attendee):
    event = EventFactory(in_person_capacity=1)
    RegistrationFactory(event=event)
    client.post(url("register", event), {**VALID, "mode": "virtual"})

    html = client.get(url("change-mode", event), {"mode": "in_person"}).content.decode()

    assert "<h1>Switch to in person?</h1>" in html
    assert "In person is full, so you join the end of the in-person waitlist and keep your virtual seat" in html


def test_asking_for_the_mode_one_has_goes_back_to_my_page(client, attendee):
    event = EventFactory()
    client.post(url("register", event), VALID)

    response = client.get(url("change-mode", event), {"mode": "in_person"})

    assert (response.status_code, response["Location"]) == (302, url("my-registration", event))


def test_feed_reset_asks_first_and_says_subscriptions_stop(client, attendee):
    event = EventFactory()
    client.post(url("register", event), VALID)
    token = Registration.objects.get().feed_token
    my_page = client.get(url("my-registration", event)).content.decode()

    confirm = client.get(url("feed-reset", event))

    html = confirm.content.decode()
    assert f'<a href="{url("feed-reset", event)}">Reset the feed and invite addresses</a>' in my_page
    assert "<strong>Calendars subscribed to your agenda feed stop updating.</strong>" in html
    assert f'<form method="post" action="{url("feed-reset", event)}">' in html
    assert Registration.objects.get().feed_token == token

    done = client.post(url("feed-reset", event), follow=True)

    assert "Your calendar feed and invite have new addresses" in done.content.decode()
    assert Registration.objects.get().feed_token != token


def test_change_mode_rejects_junk(client, attendee):
    event = EventFactory()
    client.post(url("register", event), VALID)

    response = client.post(url("change-mode", event), {"mode": "teleport"}, follow=True)

    assert "Choose in person or virtual." in response.content.decode()
    assert Registration.objects.get().mode == Mode.IN_PERSON


def test_edit_answers_saves_and_invalid_edit_saves_nothing(client, attendee):
    event = EventFactory()
    client.post(url("register", event), VALID)

    bad = client.post(url("edit-answers", event), {**VALID, "badge_name": "", "affiliation": "Changed"})
    good = client.post(url("edit-answers", event), {**VALID, "badge_name": "Countess Ada"})

    assert bad.status_code == 400
    assert good.status_code == 302
    registration = Registration.objects.get()
    assert (registration.badge_name, registration.affiliation) == ("Countess Ada", "Analytical Engine Society")


def test_cancel_asks_first_then_cancels_and_allows_registering_again(client, attendee):
    event = EventFactory()
    client.post(url("register", event), VALID)

    confirm_page = client.get(url("cancel", event))
    client.post(url("cancel", event))
    my_page = client.get(url("my-registration", event))
    again = client.post(url("register", event), {**VALID, "mode": "virtual"})

    assert "Yes, cancel my registration" in confirm_page.content.decode()
    assert "Register again" in my_page.content.decode()
    assert again.status_code == 302
    assert list(Registration.objects.order_by("pk").values_list("status", "mode")) == [
        (Status.CANCELLED, Mode.IN_PERSON),
        (Status.CONFIRMED, Mode.VIRTUAL),
    ]


def test_register_again_after_cancelling_starts_from_the_previous_answers(client, attendee):
    event = EventFactory()
    topic = Question.objects.create(event=event, label="Your research topic", kind="text")
    lunch = Question.objects.create(event=event, label="Lunch", kind="choice", choices="Fish\nPasta")
    client.post(
        url("register", event),
        {
            **VALID,
            "mode": "virtual",
            "accessibility_needs": "captions",
            topic.field_name: "Spiking networks",
            lunch.field_name: "Pasta",
        },
    )
    client.post(url("cancel", event))

    response = client.get(url("register", event))

    html = response.content.decode()
    form = response.context["form"]
    assert {name: form[name].value() for name in ("mode", "badge_name", "pronouns", "accessibility_needs")} == {
        "mode": "virtual",
        "badge_name": "Ada Lovelace",
        "pronouns": "she/her",
        "accessibility_needs": "captions",
    }
    assert (form[topic.field_name].value(), form[lunch.field_name].value()) == ("Spiking networks", "Pasta")
    assert 'value="Spiking networks"' in html
    assert '<input type="radio" name="mode" value="virtual" id="id_mode_1" required checked>' in html
    assert not form["code_of_conduct"].value()


def test_register_form_is_blank_for_a_first_registration(client, attendee):
    event = EventFactory()

    form = client.get(url("register", event)).context["form"]

    assert (form["badge_name"].value(), form["mode"].value()) == (None, None)


def test_another_persons_registration_is_unreachable(client, attendee):
    event = EventFactory()
    other = RegistrationFactory(event=event, badge_name="Secret Person", accessibility_needs="private need")

    my_page = client.get(url("my-registration", event))
    edit = client.get(url("edit-answers", event))
    cancel = client.post(url("cancel", event))
    mode = client.post(url("change-mode", event), {"mode": "virtual"})
    data = client.get(reverse("registration:my-data"))

    assert my_page.status_code == 302 and my_page["Location"] == url("register", event)
    assert (edit.status_code, cancel.status_code, mode.status_code) == (404, 404, 404)
    assert "Secret Person" not in data.content.decode()
    other.refresh_from_db()
    assert (other.status, other.mode) == (Status.CONFIRMED, Mode.IN_PERSON)


def test_my_data_download_holds_my_registrations(client, attendee):
    event = EventFactory(name="Data Workshop")
    client.post(url("register", event), VALID)

    response = client.get(reverse("registration:my-data"))

    data = json.loads(response.content)
    assert response["Content-Disposition"] == 'attachment; filename="my-workshop-data.json"'
    assert data["account"]["email"] == attendee.email
    assert [(r["event"], r["badge_name"], r["pronouns"], r["status"]) for r in data["registrations"]] == [
        ("Data Workshop", "Ada Lovelace", "she/her", "confirmed")
    ]


def test_delete_account_needs_confirmation_then_cancels_and_erases(client, attendee):
    event = EventFactory(in_person_capacity=1)
    client.post(url("register", event), VALID)
    waiting = RegistrationFactory(event=event, status=Status.WAITLISTED, waitlisted_at=timezone.now())

    unconfirmed = client.post(reverse("registration:delete-account"), {}, follow=True)
    assert "Tick the box" in unconfirmed.content.decode()
    response = client.post(reverse("registration:delete-account"), {"confirm": "delete"}, follow=True)

    mine = Registration.objects.exclude(pk=waiting.pk).get()
    waiting.refresh_from_db()
    assert "Your account and personal answers are deleted; 1 registration cancelled." in response.content.decode()
    assert (mine.user, mine.badge_name, mine.status) == (None, "", Status.CANCELLED)
    assert waiting.status == Status.CONFIRMED
    assert not response.wsgi_request.user.is_authenticated


def test_dashboard_is_for_staff_only(client, attendee):
    event = EventFactory()

    response = client.get(url("dashboard", event))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_dashboard_shows_counts_seats_waitlist_and_stages(client, staff):
    event = EventFactory(in_person_capacity=2)
    RegistrationFactory(event=event, career_stage="student")
    RegistrationFactory(event=event, career_stage="student")
    RegistrationFactory(event=event, status=Status.WAITLISTED, waitlisted_at=timezone.now(), career_stage="postdoc")
    RegistrationFactory(event=event, mode="virtual", status=Status.CANCELLED)
    client.force_login(staff)

    response = client.get(url("dashboard", event))

    figures = response.context["figures"]
    assert figures.counts == {
        "in_person": {"confirmed": 2, "waitlisted": 1, "cancelled": 0},
        "virtual": {"confirmed": 0, "waitlisted": 0, "cancelled": 1},
    }
    assert (figures.seats.in_person_free, figures.waitlist_in_person, figures.total_live) == (0, 1, 3)
    assert figures.career_stages == [("Student", 2), ("Postdoctoral researcher", 1)]
    assert sum(count for _, count in figures.per_day) == 4
    assert "<svg" in response.content.decode()


def test_needs_totals_count_each_answer_of_confirmed_in_person_attendees_only():
    event = EventFactory()
    for dietary, accessibility in [
        ("Vegetarian", "Wheelchair access"),
        ("vegetarian ", ""),
        ("  VEGETARIAN", "wheelchair  access"),
        ("Vegan", ""),
        ("", ""),
    ]:
        RegistrationFactory(event=event, dietary_needs=dietary, accessibility_needs=accessibility)
    RegistrationFactory(event=event, mode="virtual", dietary_needs="Vegan", accessibility_needs="Captions")
    RegistrationFactory(event=event, status=Status.CANCELLED, dietary_needs="Vegan")
    RegistrationFactory(event=event, status=Status.WAITLISTED, waitlisted_at=timezone.now(), dietary_needs="Halal")
    RegistrationFactory(dietary_needs="Kosher")  # another event

    needs = selectors.needs_totals(event)

    assert needs == selectors.NeedsTotals(
        attendees=5,
        dietary=[("Vegetarian", 3), ("Vegan", 1)],
        accessibility=[("Wheelchair access", 2)],
        no_dietary=1,
        no_accessibility=3,
    )


def test_dashboard_shows_needs_and_a_chart_table_without_inline_style(client, staff):
    event = EventFactory()
    RegistrationFactory(event=event, dietary_needs="Vegan", accessibility_needs="Captions")
    RegistrationFactory(event=event, dietary_needs="Vegan")
    RegistrationFactory(event=event, dietary_needs="Halal")
    client.force_login(staff)

    response = client.get(url("dashboard", event))

    html = response.content.decode()
    assert "What the 3 confirmed in-person attendees answered" in html
    assert f'<a href="{url("dashboard-needs", event)}" download>' in html
    assert '<th scope="row">Vegan</th>\n        <td class="bar-table__count">2</td>' in html
    assert '<rect width="100.0" height="10"></rect>' in html  # the largest count's bar is the full length
    assert '<rect width="50.0" height="10"></rect>' in html
    assert "2 gave no accessibility need." in html
    assert '<th scope="col">Day</th><th scope="col" class="bar-table__count">New registrations</th>' in html
    assert " style=" not in html
    assert "<script" not in html


def test_needs_csv_counts_without_names_and_neutralises_formulas(client, staff):
    event = EventFactory(slug="catering-2030")
    RegistrationFactory(event=event, badge_name="Ada Lovelace", dietary_needs='=HYPERLINK("http://x")')
    RegistrationFactory(event=event, dietary_needs="Vegan", accessibility_needs="Captions")
    RegistrationFactory(event=event, dietary_needs="vegan")
    client.force_login(staff)

    response = client.get(url("dashboard-needs", event))

    body = response.content.decode()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="catering-2030-needs.csv"'
    assert "no-store" in response["Cache-Control"]
    assert list(csv.reader(io.StringIO(body))) == [
        ["Need", "Answer", "Attendees"],
        ["Dietary", "Vegan", "2"],
        ["Dietary", '\'=HYPERLINK("http://x")', "1"],
        ["Dietary", "(none given)", "0"],
        ["Accessibility", "Captions", "1"],
        ["Accessibility", "(none given)", "2"],
        ["All", "Confirmed in-person attendees", "3"],
    ]
    assert "Ada" not in body


def test_needs_csv_needs_the_view_registration_permission(client):
    event = EventFactory()
    RegistrationFactory(event=event, dietary_needs="Vegan")
    volunteer = UserFactory(is_staff=True)
    volunteer.user_permissions.set(Permission.objects.filter(codename="check_in"))
    organizer = UserFactory(is_staff=True)
    organizer.user_permissions.set(Permission.objects.filter(codename="view_registration"))

    client.force_login(volunteer)
    refused = client.get(url("dashboard-needs", event))
    client.force_login(organizer)
    allowed = client.get(url("dashboard-needs", event))

    assert refused.status_code == 403
    assert allowed.status_code == 200


# The header's tab for the signed-in person's registration.


def event_tabs(client, event, page="program:event-detail") -> str:
    html = client.get(reverse(page, args=[event.slug])).content.decode()
    return html[html.index('<nav class="event-nav"') : html.index("</nav>", html.index('<nav class="event-nav"'))]


def test_my_registration_tab_shows_only_on_events_i_registered_for(client, attendee):
    mine = EventFactory()
    cancelled = EventFactory()
    past = EventFactory(start_date=dt.date(2020, 1, 1), end_date=dt.date(2020, 1, 2))
    upcoming = EventFactory()
    RegistrationFactory(event=mine, user=attendee)
    RegistrationFactory(event=cancelled, user=attendee, status=Status.CANCELLED, cancelled_at=timezone.now())
    RegistrationFactory(event=past)  # someone else's

    assert ">My registration</a>" in event_tabs(client, mine)
    assert ">My registration</a>" in event_tabs(client, cancelled)
    assert ">My registration</a>" not in event_tabs(client, past)
    assert ">Register</a>" not in event_tabs(client, past)
    assert ">My registration</a>" not in event_tabs(client, upcoming)
    assert f'<a href="{url("register", upcoming)}">Register</a>' in event_tabs(client, upcoming)


def test_my_registration_tab_never_reaches_a_page_kept_for_visitors(client, attendee):
    event = EventFactory()
    RegistrationFactory(event=event, user=attendee)
    agenda = reverse("program:agenda", args=[event.slug])

    mine = client.get(agenda)
    client.logout()
    client.cookies.clear()
    visitors = client.get(agenda)

    assert ">My registration</a>" in mine.content.decode()
    assert "private" in mine["Cache-Control"]
    assert "public" in visitors["Cache-Control"]
    assert ">My registration</a>" not in event_tabs(client, event, "program:agenda")
    assert ">My registration</a>" not in visitors.content.decode()
