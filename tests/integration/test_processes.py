"""Two Django processes on one PostgreSQL and one Redis behave as one site.

This test process writes, as one web server would; a gunicorn server with two workers of its own answers, as
another would. What one process changes, revokes or deletes, the other serves on its next request.
"""

import http.client
import subprocess

import pytest
from django.urls import reverse

from bench.procs import VENV_BIN, free_port, port_open, wait_for
from registration import services, tokens
from registration.models import Mode
from tests.conftest import REPO
from tests.factories import EventFactory, SessionFactory, UserFactory, answers, register
from tests.integration.conftest import stop, worker_environment

pytestmark = pytest.mark.django_db(transaction=True)


class Server:
    def __init__(self, port: int):
        self.port = port

    def get(self, path: str, *, cookie: str = "") -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request("GET", path, headers={"Host": "127.0.0.1", **({"Cookie": cookie} if cookie else {})})
        response = connection.getresponse()
        response.text = response.read().decode()
        connection.close()
        return response


@pytest.fixture
def other_process(shared_redis, tmp_path):
    """gunicorn with two workers on the same database and Redis."""
    port = free_port()
    environment = worker_environment(
        shared_redis.url,
        1,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",
        # The production settings with the test suite's static files, which need no collectstatic.
        DJANGO_SETTINGS_MODULE="tests.settings",
    )
    log = tmp_path / "gunicorn.log"
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "eventsite.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=REPO,
        env=environment,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    wait_for(lambda: port_open(port) or process.poll() is not None, timeout=60, what="gunicorn")
    assert process.poll() is None, log.read_text()
    yield Server(port)
    stop(process)


def served_twice(server: Server, path: str, **kwargs) -> str:
    """The page as the other process serves it, asked twice so that both workers may have kept it."""
    first, second = server.get(path, **kwargs), server.get(path, **kwargs)
    assert (first.status, second.status) == (200, 200)
    return second.text


def test_an_agenda_edit_here_is_on_the_other_processs_agenda_at_once(other_process):
    event = EventFactory(slug="shared-2030")
    session = SessionFactory(event=event, title="Spiking networks at dawn")
    agenda = reverse("program:agenda", kwargs={"slug": event.slug})
    assert "Spiking networks at dawn" in served_twice(other_process, agenda)

    session.title = "Spiking networks at noon"
    session.save()

    for _ in range(4):  # whichever worker answers
        page = other_process.get(agenda).text
        assert "Spiking networks at noon" in page
        assert "Spiking networks at dawn" not in page


@pytest.fixture
def registration(db):
    event = EventFactory(slug="shared-2030", virtual_join_url="https://zoom.example.org/j/42")
    SessionFactory(event=event)
    user = UserFactory(email="ada@example.org", first_name="Ada", last_name="Lovelace")
    return register(event, Mode.VIRTUAL, user=user, answers=answers(badge_name="Ada Lovelace"))


def feed_path(registration) -> str:
    return reverse(
        "registration:personal-feed", kwargs={"slug": registration.event.slug, "token": registration.feed_token}
    )


def test_a_feed_reset_here_closes_the_old_addresses_in_the_other_process(other_process, registration):
    old_feed, old_invite = feed_path(registration), tokens.invite_path(registration)
    served_twice(other_process, old_feed)
    assert "zoom.example.org/j/42" in served_twice(other_process, old_invite)

    services.reset_feed_token(registration=registration)

    assert [other_process.get(old_feed).status for _ in range(4)] == [404] * 4
    assert [other_process.get(old_invite).status for _ in range(4)] == [404] * 4
    assert other_process.get(feed_path(registration)).status == 200
    assert other_process.get(tokens.invite_path(registration)).status == 200


def test_an_account_deleted_here_leaves_nothing_of_it_in_the_other_process(other_process, registration):
    feed, invite = feed_path(registration), tokens.invite_path(registration)
    served_twice(other_process, feed)
    assert "ada@example.org" in served_twice(other_process, invite)

    services.delete_account(user=registration.user)

    for path in (feed, invite):
        responses = [other_process.get(path) for _ in range(4)]
        assert [response.status for response in responses] == [404] * 4
        assert not any("ada@example.org" in response.text or "Lovelace" in response.text for response in responses)


def test_a_sign_out_here_signs_the_person_out_in_the_other_process(other_process, registration, client):
    client.force_login(registration.user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    my_page = reverse("registration:my-registration", kwargs={"slug": registration.event.slug})
    assert "Ada Lovelace" in served_twice(other_process, my_page, cookie=cookie)

    client.logout()

    responses = [other_process.get(my_page, cookie=cookie) for _ in range(4)]
    assert [response.status for response in responses] == [302] * 4
    assert all(response.getheader("Location").startswith("/accounts/login/") for response in responses)
