"""Racing registrations on PostgreSQL: the event lock means no seat is ever sold twice."""

import threading

import pytest
from django.db import connection, connections

from registration import services
from registration.models import Mode, Registration, Status
from tests.factories import EventFactory, UserFactory, answers

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("select_for_update does nothing on SQLite; `make test` runs this on PostgreSQL")


def race(jobs):
    """Run each job in its own thread and connection, all released at once; return results and errors."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [], []

    def run(job):
        try:
            barrier.wait()
            results.append(job())
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def test_many_people_racing_for_a_few_seats_never_overbook():
    event = EventFactory(in_person_capacity=5)
    users = [UserFactory() for _ in range(40)]

    results, errors = race(
        [
            lambda user=user: services.register(event=event, user=user, mode=Mode.IN_PERSON, answers=answers())
            for user in users
        ]
    )

    assert errors == []
    assert len(results) == 40
    registrations = Registration.objects.filter(event=event)
    assert registrations.filter(mode=Mode.IN_PERSON, status=Status.CONFIRMED).count() == 5
    assert registrations.filter(status=Status.WAITLISTED).count() == 35
    assert registrations.values("user").distinct().count() == 40
    positions = sorted(services.waitlist_position(r) for r in registrations.filter(status=Status.WAITLISTED))
    assert positions == list(range(1, 36))


def test_double_submits_by_one_person_make_one_registration():
    event = EventFactory(in_person_capacity=5)
    user = UserFactory()

    results, errors = race(
        [lambda: services.register(event=event, user=user, mode=Mode.IN_PERSON, answers=answers()) for _ in range(8)]
    )

    assert errors == []
    assert sorted(created for _, created in results) == [False] * 7 + [True]
    assert Registration.objects.filter(event=event, user=user).count() == 1


def test_cancellations_and_registrations_racing_keep_the_count_exact():
    event = EventFactory(in_person_capacity=3)
    holders = [
        services.register(event=event, user=UserFactory(), mode=Mode.IN_PERSON, answers=answers())[0] for _ in range(3)
    ]
    newcomers = [UserFactory() for _ in range(10)]

    jobs = [lambda r=r: services.cancel(registration=r) for r in holders]
    jobs += [
        lambda u=u: services.register(event=event, user=u, mode=Mode.IN_PERSON, answers=answers()) for u in newcomers
    ]
    _results, errors = race(jobs)

    assert errors == []
    live = Registration.objects.filter(event=event).live()
    assert live.filter(status=Status.CONFIRMED, mode=Mode.IN_PERSON).count() == 3
    assert live.filter(status=Status.WAITLISTED).count() == 7
