"""factory_boy factories for the whole suite."""

import datetime as dt
import zoneinfo

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from program.models import Event, EventRole, Person, Recording, Role, Session, SessionPerson, Talk, TalkSpeaker

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class StaffFactory(UserFactory):
    is_staff = True
    is_superuser = True


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    slug = factory.Sequence(lambda n: f"workshop-{n}")
    name = factory.Sequence(lambda n: f"NeuroAI Workshop {n}")
    # Two months from today whenever the suite runs, so registration is open and the event upcoming; a test
    # about a given date pins its own.
    start_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=60))
    end_date = factory.LazyAttribute(lambda event: event.start_date + dt.timedelta(days=1))
    timezone = "America/New_York"
    venue_name = "NIH Campus"
    venue_address = "Bethesda, MD"
    contact_email = "workshop@example.org"
    in_person_capacity = 100
    is_published = True


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"Ada Researcher{n}")
    affiliation = "Example University"


class EventRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventRole

    event = factory.SubFactory(EventFactory)
    person = factory.SubFactory(PersonFactory)
    role = Role.PLANNING_COMMITTEE


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    event = factory.SubFactory(EventFactory)
    title = factory.Sequence(lambda n: f"Session {n}")
    start = factory.LazyAttribute(
        lambda s: dt.datetime.combine(s.event.start_date, dt.time(9, 0), tzinfo=s.event.tzinfo)
    )
    end = factory.LazyAttribute(lambda s: s.start + dt.timedelta(hours=1))
    room = "Main auditorium"


class SessionPersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionPerson

    session = factory.SubFactory(SessionFactory)
    person = factory.SubFactory(PersonFactory)
    part = SessionPerson.Part.MODERATOR


class TalkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Talk

    session = factory.SubFactory(SessionFactory)
    title = factory.Sequence(lambda n: f"Talk {n}")


class TalkSpeakerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TalkSpeaker

    talk = factory.SubFactory(TalkFactory)
    person = factory.SubFactory(PersonFactory)


class RecordingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recording

    session = factory.SubFactory(SessionFactory)
    video_url = factory.Sequence(lambda n: f"https://videos.example.org/{n}")


def verified_user(user=None, **kwargs):
    """A user whose email address is verified, as allauth requires before registering: `user`, or a new one
    made from `kwargs`."""
    from allauth.account.models import EmailAddress

    user = user or UserFactory(**kwargs)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


ANSWERS = {"badge_name": "Ada Lovelace", "affiliation": "Analytical Engine Society", "career_stage": "senior"}


def answers(**overrides):
    from registration.services import Answers

    return Answers(**{**ANSWERS, **overrides})


def register(event, mode="in_person", *, user=None, answers=None, **options):
    """Register through registration.services.register, as the form does, and return the registration.

    A new user unless `user` is given, the usual answers unless `answers` is; `options` go to the service
    (virtual_meanwhile=). A test that needs the `created` flag calls the service itself."""
    from registration import services

    registration, _ = services.register(
        event=event,
        user=user or UserFactory(),
        mode=mode,
        answers=answers or services.Answers(**ANSWERS),
        **options,
    )
    return registration


class RegistrationFactory(factory.django.DjangoModelFactory):
    """A registration written directly, for tests that need one in a given state; services decide seats."""

    class Meta:
        model = "registration.Registration"

    event = factory.SubFactory(EventFactory)
    user = factory.SubFactory(UserFactory)
    mode = "in_person"
    status = "confirmed"
    badge_name = factory.Sequence(lambda n: f"Attendee {n}")
    affiliation = "Example University"
    career_stage = "postdoc"
    consent_recording = True
