"""Property-based fuzzing of the registration form and the my-page actions: never a 500, never half a save."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registration.models import Question, Registration
from tests.factories import EventFactory, verified_user

pytestmark = pytest.mark.django_db

FIELDS = [
    "mode",
    "virtual_meanwhile",
    "badge_name",
    "affiliation",
    "career_stage",
    "pronouns",
    "dietary_needs",
    "accessibility_needs",
    "consent_recording",
    "code_of_conduct",
    "question_1",
    "csrfmiddlewaretoken",
]
# Text that includes the awkward: control characters, RTL, emoji, markup, very long values.
TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "in_person",
            "virtual",
            "yes",
            "no",
            "on",
            "senior",
            "student",
            "",
            " ",
            "\x00",
            "<script>alert(1)</script>",
            '=HYPERLINK("x")',
            "محمد",
            "😀" * 30,
            "a" * 600,
        ]
    ),
)
FORM = st.dictionaries(st.sampled_from(FIELDS), st.one_of(TEXT, st.lists(TEXT, max_size=3)), max_size=len(FIELDS))
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def is_whole(registration: Registration) -> bool:
    """A saved registration has every required answer and the code of conduct agreed."""
    return all(
        [
            registration.badge_name.strip(),
            registration.affiliation.strip(),
            registration.career_stage,
            registration.mode in ("in_person", "virtual"),
            registration.consent_recording is not None,
            registration.code_of_conduct_accepted_at is not None,
            registration.consent_recording_at is not None,
        ]
    )


@pytest.fixture
def event():
    event = EventFactory(in_person_capacity=2)
    Question.objects.create(pk=1, event=event, label="Track", kind="choice", choices="A\nB", required=True)
    return event


@FUZZ
@given(data=FORM)
def test_any_registration_post_answers_without_error_and_saves_whole_or_nothing(event, data):
    client = Client()
    client.force_login(verified_user())

    response = client.post(f"/events/{event.slug}/register/", data)

    assert response.status_code in (200, 302, 400)
    saved = Registration.objects.filter(user=response.wsgi_request.user)
    assert saved.count() <= 1
    if response.status_code == 302:
        assert saved.count() == 1 and is_whole(saved.get())
    else:
        assert saved.count() == 0


@FUZZ
@given(action=st.sampled_from(["change-mode", "edit-answers", "cancel"]), data=FORM)
def test_any_my_page_action_answers_without_error_and_keeps_the_registration_whole(event, action, data):
    client = Client()
    user = verified_user()
    client.force_login(user)
    client.post(
        f"/events/{event.slug}/register/",
        {
            "mode": "in_person",
            "badge_name": "Ada",
            "affiliation": "Lab",
            "career_stage": "senior",
            "consent_recording": "yes",
            "code_of_conduct": "on",
            "question_1": "A",
        },
    )

    path = {"change-mode": "mode", "edit-answers": "edit", "cancel": "cancel"}[action]
    response = client.post(f"/events/{event.slug}/my/{path}/", data)

    assert response.status_code in (200, 302, 400)
    registration = Registration.objects.get(user=user)
    assert is_whole(registration)
