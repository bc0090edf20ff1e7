"""Racing registrations on PostgreSQL: the event lock means no seat is ever sold twice."""

import contextlib
import threading

import pytest
from django.db import connection, connections, transaction

from bench.procs import wait_for
from registration import selectors, services
from registration.models import Mode, Registration, Status
from tests.factories import EventFactory, UserFactory, answers, register
from tests.races import in_background, race, sessions_waiting_for_a_lock

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("select_for_update does nothing on SQLite; `make test` runs this on PostgreSQL")


@contextlib.contextmanager
def event_locked_elsewhere(event):
    """Another connection holds the event's row lock as the services take it, until the block ends."""
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                services._locked(event)
                locked.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(timeout=10)
    try:
        yield
    finally:
        release.set()
        holder.join(timeout=30)


def test_a_virtual_registration_without_a_limit_does_not_wait_for_the_event_lock():
    event = EventFactory(virtual_capacity=None)

    with event_locked_elsewhere(event):
        thread, results = in_background(
            lambda: services.register(event=event, user=UserFactory(), mode=Mode.VIRTUAL, answers=answers())
        )
        thread.join(timeout=10)
        assert not thread.is_alive()  # done while the lock is still held

    ((registration, created),) = results
    assert (created, registration.status) == (True, Status.CONFIRMED)


@pytest.mark.parametrize(
    ("mode", "virtual_capacity"), [(Mode.IN_PERSON, None), (Mode.VIRTUAL, 10)], ids=["in person", "virtual, limited"]
)
def test_a_registration_under_a_limit_decides_its_seat_under_the_event_lock(mode, virtual_capacity):
    event = EventFactory(in_person_capacity=10, virtual_capacity=virtual_capacity)

    with event_locked_elsewhere(event):
        thread, results = in_background(
            lambda: services.register(event=event, user=UserFactory(), mode=mode, answers=answers())
        )
        wait_for(lambda: sessions_waiting_for_a_lock("program_event") == 1, timeout=10, what="a wait for the lock")
        assert results == []
    thread.join(timeout=10)

    ((registration, created),) = results
    assert (created, registration.status) == (True, Status.CONFIRMED)


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
    positions = sorted(selectors.waitlist_position(r) for r in registrations.filter(status=Status.WAITLISTED))
    assert positions == list(range(1, 36))


def test_virtual_registrations_without_the_lock_racing_in_person_ones_leave_the_count_exact():
    event = EventFactory(in_person_capacity=5, virtual_capacity=None)
    modes = [Mode.IN_PERSON, Mode.VIRTUAL] * 20

    results, errors = race(
        [
            lambda mode=mode: services.register(event=event, user=UserFactory(), mode=mode, answers=answers())
            for mode in modes
        ]
    )

    assert errors == []
    assert len(results) == 40
    registrations = Registration.objects.filter(event=event)
    assert registrations.filter(mode=Mode.IN_PERSON, status=Status.CONFIRMED).count() == 5
    assert registrations.filter(mode=Mode.IN_PERSON, status=Status.WAITLISTED).count() == 15
    assert registrations.filter(mode=Mode.VIRTUAL, status=Status.CONFIRMED).count() == 20


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
    holders = [register(event) for _ in range(3)]
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
