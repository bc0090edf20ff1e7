"""Seats, the waitlist and promotion, through the registration services."""

import datetime as dt

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.db import IntegrityError
from django.utils import timezone

from program.models import Event
from registration import invites, selectors, services
from registration.models import Mode, Notification, Registration, Status
from tests.factories import EventFactory, RegistrationFactory, UserFactory, answers, register

pytestmark = pytest.mark.django_db


def statuses(event):
    rows = Registration.objects.filter(event=event).order_by("pk")
    return [(r.mode, r.status, r.virtual_meanwhile) for r in rows]


def test_register_confirms_while_seats_are_free_then_waitlists_with_a_virtual_seat():
    event = EventFactory(in_person_capacity=2)

    first, second, third = register(event), register(event), register(event)

    assert [first.status, second.status, third.status] == [Status.CONFIRMED, Status.CONFIRMED, Status.WAITLISTED]
    assert third.virtual_meanwhile is True
    assert third.attends_virtually is True
    assert selectors.waitlist_position(third) == 1
    assert list(Notification.objects.values_list("kind", flat=True)) == ["confirmation", "confirmation", "waitlisted"]


def test_waitlisted_without_virtual_seat_when_not_asked_for():
    event = EventFactory(in_person_capacity=0 + 1)
    register(event)

    waiting = register(event, virtual_meanwhile=False)

    assert (waiting.status, waiting.virtual_meanwhile) == (Status.WAITLISTED, False)


def test_virtual_seat_meanwhile_only_while_virtual_seats_are_free():
    event = EventFactory(in_person_capacity=1, virtual_capacity=1)
    register(event)
    first_waiting = register(event)

    second_waiting = register(event)

    assert first_waiting.virtual_meanwhile is True
    assert second_waiting.virtual_meanwhile is False
    assert selectors.seats_free(event, Mode.VIRTUAL) == 0


def test_virtual_cap_waitlists_virtual_registrations():
    event = EventFactory(in_person_capacity=10, virtual_capacity=1)
    register(event, Mode.VIRTUAL)

    waiting = register(event, Mode.VIRTUAL)

    assert (waiting.mode, waiting.status) == (Mode.VIRTUAL, Status.WAITLISTED)


def test_second_registration_by_the_same_person_returns_the_first():
    event = EventFactory()
    user = UserFactory()
    first, created = services.register(event=event, user=user, mode=Mode.IN_PERSON, answers=answers())

    again, created_again = services.register(event=event, user=user, mode=Mode.VIRTUAL, answers=answers())

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert again.mode == Mode.IN_PERSON
    assert Registration.objects.count() == 1


def test_a_seat_gone_while_registering_is_corrected_under_the_lock():
    event = EventFactory(in_person_capacity=2)
    register(event)
    as_the_form_read_it = Event.objects.get(pk=event.pk)
    Event.objects.filter(pk=event.pk).update(in_person_capacity=1)  # an organizer lowers it meanwhile

    late = register(as_the_form_read_it)

    late.refresh_from_db()
    assert (late.status, late.confirmed_at, late.virtual_meanwhile) == (Status.WAITLISTED, None, True)
    assert late.waitlisted_at is not None
    assert late.invite_fingerprint == invites.fingerprint(late)
    assert list(late.notifications.values_list("kind", flat=True)) == ["waitlisted"]
    entries = LogEntry.objects.get_for_object(late).order_by("pk")
    assert [entry.action for entry in entries] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE]
    assert entries[1].changes_dict["status"] == ["confirmed", "waitlisted"]


def test_a_seat_freed_while_registering_is_given_under_the_lock():
    event = EventFactory(in_person_capacity=1)
    register(event)
    as_the_form_read_it = Event.objects.get(pk=event.pk)
    Event.objects.filter(pk=event.pk).update(in_person_capacity=2)

    lucky = register(as_the_form_read_it)

    lucky.refresh_from_db()
    assert (lucky.status, lucky.waitlisted_at, lucky.virtual_meanwhile) == (Status.CONFIRMED, None, False)
    assert lucky.confirmed_at is not None
    assert lucky.invite_fingerprint == invites.fingerprint(lucky)
    assert list(lucky.notifications.values_list("kind", flat=True)) == ["confirmation"]


def test_registration_refused_under_the_lock_leaves_nothing_behind():
    event = EventFactory()
    as_the_form_read_it = Event.objects.get(pk=event.pk)
    Event.objects.filter(pk=event.pk).update(registration_closes=timezone.now() - dt.timedelta(minutes=1))

    with pytest.raises(services.RegistrationError, match="closed"):
        register(as_the_form_read_it)

    assert (Registration.objects.count(), Notification.objects.count()) == (0, 0)


def test_database_refuses_two_live_registrations_for_one_person():
    registration = RegistrationFactory()

    with pytest.raises(IntegrityError):
        RegistrationFactory(event=registration.event, user=registration.user)


def test_cancel_promotes_the_oldest_waitlisted_person():
    event = EventFactory(in_person_capacity=1)
    holder = register(event)
    oldest, younger = register(event), register(event)

    services.cancel(registration=holder)

    oldest.refresh_from_db()
    younger.refresh_from_db()
    assert (oldest.status, oldest.virtual_meanwhile, oldest.waitlisted_at) == (Status.CONFIRMED, False, None)
    assert younger.status == Status.WAITLISTED
    assert selectors.waitlist_position(younger) == 1
    assert Notification.objects.filter(registration=oldest, kind="promoted").count() == 1
    assert oldest.invite_sequence == 1


def test_cancel_twice_is_harmless():
    event = EventFactory(in_person_capacity=1)
    holder = register(event)

    services.cancel(registration=holder)
    services.cancel(registration=holder)

    assert Notification.objects.filter(registration=holder, kind="cancelled").count() == 1


def test_mode_change_to_virtual_frees_the_seat_for_the_next_in_line():
    event = EventFactory(in_person_capacity=1)
    holder = register(event)
    waiting = register(event)

    services.change_mode(registration=holder, mode=Mode.VIRTUAL)

    holder.refresh_from_db()
    waiting.refresh_from_db()
    assert (holder.mode, holder.status, holder.invite_sequence) == (Mode.VIRTUAL, Status.CONFIRMED, 1)
    assert (waiting.mode, waiting.status) == (Mode.IN_PERSON, Status.CONFIRMED)


def test_mode_change_to_a_full_room_waitlists_but_keeps_the_virtual_seat():
    event = EventFactory(in_person_capacity=1, virtual_capacity=1)
    register(event)
    virtual = register(event, Mode.VIRTUAL)

    changed = services.change_mode(registration=virtual, mode=Mode.IN_PERSON)

    assert (changed.mode, changed.status, changed.virtual_meanwhile) == (Mode.IN_PERSON, Status.WAITLISTED, True)
    assert selectors.seats_free(event, Mode.VIRTUAL) == 0


def test_mode_change_to_virtual_when_virtual_is_full_is_refused_and_keeps_the_seat():
    event = EventFactory(in_person_capacity=5, virtual_capacity=1)
    in_person = register(event)
    register(event, Mode.VIRTUAL)

    with pytest.raises(services.RegistrationError, match="All virtual seats are taken"):
        services.change_mode(registration=in_person, mode=Mode.VIRTUAL)

    in_person.refresh_from_db()
    assert (in_person.mode, in_person.status) == (Mode.IN_PERSON, Status.CONFIRMED)


def test_raising_capacity_promotes_in_waitlist_order():
    event = EventFactory(in_person_capacity=1)
    register(event)
    first, second, third = register(event), register(event), register(event)

    promoted = services.set_capacity(event=event, in_person_capacity=3, virtual_capacity=None)

    assert [r.pk for r in promoted] == [first.pk, second.pk]
    third.refresh_from_db()
    assert third.status == Status.WAITLISTED
    assert selectors.waitlist_position(third) == 1


def test_waitlist_order_is_kept_across_cancellations():
    event = EventFactory(in_person_capacity=1)
    holder = register(event)
    line = [register(event) for _ in range(4)]

    services.cancel(registration=line[1])
    services.cancel(registration=holder)

    assert [selectors.waitlist_position(Registration.objects.get(pk=r.pk)) for r in line] == [None, None, 1, 2]
    assert Registration.objects.get(pk=line[0].pk).status == Status.CONFIRMED


def test_organizer_promotes_out_of_turn_only_into_a_free_seat_or_a_raised_capacity():
    event = EventFactory(in_person_capacity=1)
    register(event)
    first, second = register(event), register(event)

    with pytest.raises(services.RegistrationError, match="No in-person seat is free"):
        services.promote(registration=second)
    promoted = services.promote(registration=second, raise_capacity=True)

    event.refresh_from_db()
    assert (promoted.status, event.in_person_capacity) == (Status.CONFIRMED, 2)
    assert selectors.waitlist_position(Registration.objects.get(pk=first.pk)) == 1


def test_registration_outside_the_window_is_refused():
    now = timezone.now()
    not_yet = EventFactory(registration_opens=now + dt.timedelta(days=1))
    closed = EventFactory(registration_closes=now - dt.timedelta(minutes=1))
    past = EventFactory(start_date=dt.date(2020, 1, 1), end_date=dt.date(2020, 1, 2))

    for event, reason in [(not_yet, "Registration opens"), (closed, "has closed"), (past, "already taken place")]:
        with pytest.raises(services.RegistrationError, match=reason):
            register(event)
    assert Registration.objects.count() == 0


def test_why_registration_is_closed_is_judged_at_the_time_given():
    event = EventFactory(
        start_date=dt.date(2030, 11, 12),
        end_date=dt.date(2030, 11, 13),
        timezone="Europe/Berlin",
        registration_opens=dt.datetime(2030, 9, 2, 7, 0, tzinfo=dt.UTC),
        registration_closes=dt.datetime(2030, 11, 1, 12, 0, tzinfo=dt.UTC),
    )

    def reason(moment):
        return services.registration_closed_reason(event, now=moment)

    assert reason(dt.datetime(2030, 8, 1, tzinfo=dt.UTC)) == "Registration opens September 2, 2030 at 09:00 CEST."
    assert reason(event.registration_opens) == ""
    assert reason(dt.datetime(2030, 11, 2, tzinfo=dt.UTC)) == "Registration for this event has closed."
    assert reason(dt.datetime(2030, 11, 14, 12, tzinfo=dt.UTC)) == "This event has already taken place."


def test_mode_not_offered_is_refused():
    virtual_only = EventFactory(in_person_capacity=0, is_virtual=True)
    room_only = EventFactory(is_virtual=False)

    with pytest.raises(services.RegistrationError, match="In person attendance is not offered"):
        register(virtual_only, Mode.IN_PERSON)
    with pytest.raises(services.RegistrationError, match="Virtual attendance is not offered"):
        register(room_only, Mode.VIRTUAL)


def test_consent_is_stored_with_time_and_wording_version_and_renewed_when_changed():
    event = EventFactory()
    registration = register(event, answers=answers(consent_recording=True))
    first_time = registration.consent_recording_at

    updated = services.update_answers(registration=registration, answers=answers(consent_recording=False))

    assert registration.consent_wording_version == "2024-10"
    assert registration.code_of_conduct_version == "2024-10"
    assert registration.code_of_conduct_accepted_at is not None
    assert (updated.consent_recording, updated.consent_recording_at > first_time) == (False, True)


def test_changing_other_answers_keeps_when_consent_was_given():
    registration, _ = services.register(
        event=EventFactory(), user=UserFactory(), mode=Mode.IN_PERSON, answers=answers(consent_recording=True)
    )
    given_at = registration.consent_recording_at

    updated = services.update_answers(
        registration=registration, answers=answers(badge_name="Ada King", consent_recording=True)
    )

    assert (updated.badge_name, updated.consent_recording, updated.consent_recording_at) == ("Ada King", True, given_at)


def test_virtual_registration_drops_dietary_needs():
    event = EventFactory()

    registration = register(event, Mode.VIRTUAL, answers=answers(dietary_needs="vegan"))

    assert registration.dietary_needs == ""


def test_delete_account_cancels_frees_seats_and_erases_answers():
    event = EventFactory(in_person_capacity=1)
    user = UserFactory()
    mine = register(event, user=user, answers=answers(pronouns="she/her", accessibility_needs="captions"))
    waiting = register(event)

    cancelled = services.delete_account(user=user)

    mine.refresh_from_db()
    waiting.refresh_from_db()
    assert cancelled == 1
    assert (mine.user, mine.status, mine.badge_name, mine.affiliation, mine.pronouns) == (
        None,
        Status.CANCELLED,
        "",
        "",
        "",
    )
    assert (mine.accessibility_needs, mine.consent_recording, mine.extra_answers) == ("", None, {})
    assert mine.answers_erased_at is not None
    assert waiting.status == Status.CONFIRMED
    assert not type(user).objects.filter(pk=user.pk).exists()
    assert Registration.objects.filter(event=event).count() == 2


PERSONAL = ("Ada Quietly", "Lab of Secrets", "xe/xem", "no peanuts", "captions please", "ada.quietly@example.org")


def personal_values_in_the_log() -> list[str]:
    """Every personal value above that any audit log entry still holds, anywhere in it."""
    held = []
    for entry in LogEntry.objects.all():
        text = " ".join(
            str(part) for part in (entry.changes, entry.changes_text, entry.object_repr, entry.serialized_data)
        )
        text += f" {entry.actor_email or ''}"
        held += [value for value in PERSONAL if value in text]
    return held


def registered_and_edited_by_themselves():
    user = UserFactory(email="ada.quietly@example.org")
    event = EventFactory(retention_days=30)
    personal = answers(badge_name="Ada Quietly", affiliation="Lab of Secrets", pronouns="xe/xem")
    registration = register(event, Mode.VIRTUAL, user=user, answers=personal)
    with set_actor(user):
        edited = answers(
            badge_name="Ada Quietly",
            affiliation="Lab of Secrets",
            pronouns="xe/xem",
            dietary_needs="no peanuts",
            accessibility_needs="captions please",
        )
        services.update_answers(registration=registration, answers=edited)
    assert personal_values_in_the_log()  # what the log holds before the erasure
    return user, registration


def test_deleting_an_account_erases_its_answers_from_the_audit_log_too():
    user, registration = registered_and_edited_by_themselves()

    services.delete_account(user=user)

    assert personal_values_in_the_log() == []
    # Who changed what, and when, stay.
    fields = {field for entry in LogEntry.objects.get_for_object(registration) for field in (entry.changes or {})}
    assert {"badge_name", "dietary_needs", "status"} <= fields


def test_the_retention_erasure_erases_answers_from_the_audit_log_too():
    _, registration = registered_and_edited_by_themselves()

    services.erase_expired_answers(today=registration.event.end_date + dt.timedelta(days=31))

    assert [value for value in personal_values_in_the_log() if value != "ada.quietly@example.org"] == []


def test_erasure_leaves_blank_answers_and_a_log_that_says_which_fields_were_erased():
    user, registration = registered_and_edited_by_themselves()
    made_by_them = list(LogEntry.objects.filter(actor=user).values_list("pk", flat=True))

    services.delete_account(user=user)

    registration.refresh_from_db()
    assert (registration.career_stage, registration.dietary_needs) == ("", "")
    entries = LogEntry.objects.get_for_object(registration)
    personal = [
        values for entry in entries for field, values in entry.changes.items() if field in services.PERSONAL_FIELDS
    ]
    assert len(personal) > 1
    assert all(values == [services.ERASED, services.ERASED] for values in personal)
    assert {entry.changes_text for entry in entries} == {""}
    assert set(LogEntry.objects.filter(pk__in=made_by_them).values_list("actor_email", flat=True)) == {""}


def test_a_promotion_records_when_and_raises_the_invite_past_every_earlier_one(time_machine):
    event = EventFactory(in_person_capacity=1)
    holder, waiting = register(event), register(event)
    Registration.objects.filter(pk=waiting.pk).update(invite_sequence=3)  # three invites went out before
    promoted_at = dt.datetime(2030, 10, 1, 12, tzinfo=dt.UTC)
    time_machine.move_to(promoted_at, tick=False)

    services.cancel(registration=holder)

    waiting.refresh_from_db()
    assert (waiting.status, waiting.confirmed_at, waiting.invite_sequence) == (Status.CONFIRMED, promoted_at, 4)
