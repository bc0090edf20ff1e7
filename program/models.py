"""Events, the people on their roster, the agenda and its recordings."""

import zoneinfo
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from .dates import date_range, local_time

TIMEZONE_CHOICES = [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]
KNOWN_ZONES = frozenset(name for name, _label in TIMEZONE_CHOICES)


class EventQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def upcoming(self, today: date | None = None):
        return self.filter(end_date__gte=today or timezone.localdate()).order_by("start_date")

    def past(self, today: date | None = None):
        return self.filter(end_date__lt=today or timezone.localdate()).order_by("-start_date")


# How many sessions a refused date change names; the rest are "and more".
STRANDED_SHOWN = 5


class Event(models.Model):
    """One meeting of a workshop series: where, when, and how to attend."""

    slug = models.SlugField(unique=True, help_text="Used in the event's web address.")
    name = models.CharField(max_length=200)
    tagline = models.CharField(max_length=300, blank=True, help_text="A subtitle shown under the name.")
    description = models.TextField(blank=True, help_text="Plain text; blank lines start new paragraphs.")
    start_date = models.DateField()
    end_date = models.DateField()
    timezone = models.CharField(
        max_length=64,
        choices=TIMEZONE_CHOICES,
        default="America/New_York",
        help_text="All agenda times are entered and shown in this zone.",
    )
    venue_name = models.CharField(max_length=200, blank=True, help_text="e.g. NIH Campus")
    venue_address = models.CharField(max_length=300, blank=True, help_text="e.g. Bethesda, MD")
    is_virtual = models.BooleanField(
        "can be attended virtually", default=True, help_text="Sessions are streamed to registered attendees."
    )
    virtual_platform = models.CharField(max_length=100, blank=True, help_text="e.g. Zoom webinar, NIH VideoCast")
    virtual_join_url = models.URLField(
        blank=True, help_text="Private: shown only to confirmed registrants, never on public pages."
    )
    in_person_capacity = models.PositiveIntegerField(default=0, help_text="Seats in the room; 0 for virtual only.")
    virtual_capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Leave blank for no limit.")
    registration_opens = models.DateTimeField(null=True, blank=True)
    registration_closes = models.DateTimeField(null=True, blank=True)
    contact_email = models.EmailField(blank=True)
    agenda_note = models.CharField(
        max_length=300, blank=True, help_text="Shown above the agenda, e.g. 'Sample agenda' or 'Times may change'."
    )
    is_published = models.BooleanField(default=False, help_text="Unpublished events are visible to staff only.")
    retention_days = models.PositiveIntegerField(
        "keep personal answers for (days)",
        default=180,
        help_text="Days after the event ends before attendees' personal answers are erased; counts are kept.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="event_ends_after_start"),
        ]

    def __str__(self):
        # With its dates: a series repeats its name, and every event picker in the admin shows this.
        return f"{self.name} ({self.dates})"

    def get_absolute_url(self):
        return reverse("program:event-detail", kwargs={"slug": self.slug})

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The event cannot end before it starts."})
        if self.registration_opens and self.registration_closes and self.registration_closes < self.registration_opens:
            raise ValidationError({"registration_closes": "Registration cannot close before it opens."})
        if self.pk and self.start_date and self.end_date and self.timezone in KNOWN_ZONES:
            self._refuse_to_strand_sessions()

    def _refuse_to_strand_sessions(self) -> None:
        """New dates or a new zone must keep every session of the agenda on the event's days."""
        first, after_last = self.day_bounds
        errors = {}
        before = list(self.sessions.filter(start__lt=first).order_by("start")[: STRANDED_SHOWN + 1])
        after = list(self.sessions.filter(end__gt=after_last).order_by("start")[: STRANDED_SHOWN + 1])
        for field, sessions in (("start_date", before), ("end_date", after)):
            if sessions:
                names = "; ".join(
                    f"“{session.title}” ({local_time(session.start, self.timezone)})"
                    for session in sessions[:STRANDED_SHOWN]
                )
                more = " and more" if len(sessions) > STRANDED_SHOWN else ""
                errors[field] = (
                    f"These sessions would fall outside the event's days ({self.dates}): {names}{more}. "
                    "Move them first, or choose dates that include them."
                )
        if errors:
            raise ValidationError(errors)

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def dates(self) -> str:
        """'January 5–6, 2027'."""
        return date_range(self.start_date, self.end_date)

    @property
    def day_bounds(self) -> tuple[datetime, datetime]:
        """The first moment of the event's first day and the first moment after its last, in its zone."""
        first = datetime.combine(self.start_date, time(0), tzinfo=self.tzinfo)
        after_last = datetime.combine(self.end_date + timedelta(days=1), time(0), tzinfo=self.tzinfo)
        return first, after_last

    @property
    def is_in_person(self) -> bool:
        return self.in_person_capacity > 0

    @property
    def location(self) -> str:
        return ", ".join(part for part in (self.venue_name, self.venue_address) if part)

    @property
    def zone_label(self) -> str:
        """The zone's abbreviation on the event's first day, e.g. 'EST'."""
        return datetime.combine(self.start_date, time(12), tzinfo=self.tzinfo).strftime("%Z")

    @property
    def erase_personal_data_on(self) -> date:
        """The first day on which attendees' personal answers are erased."""
        return self.end_date + timedelta(days=self.retention_days + 1)

    def local_now(self) -> datetime:
        return timezone.now().astimezone(self.tzinfo)

    def is_past(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return now.astimezone(self.tzinfo).date() > self.end_date

    def registration_is_open(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        if self.is_past(now):
            return False
        if self.registration_opens and now < self.registration_opens:
            return False
        return not (self.registration_closes and now >= self.registration_closes)


class Person(models.Model):
    """Someone who appears on a roster or an agenda; not necessarily a site user."""

    name = models.CharField(max_length=200)
    affiliation = models.CharField(max_length=300, blank=True, help_text="Current affiliation.")
    email = models.EmailField(blank=True, help_text="Private: for organizers only.")
    bio = models.TextField(blank=True)
    website = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"

    def __str__(self):
        return f"{self.name} ({self.affiliation})" if self.affiliation else self.name


class Role(models.TextChoices):
    PLANNING_COMMITTEE = "planning_committee", "Scientific Planning Committee"
    WORKING_GROUP = "working_group", "Working Group"
    ORGANIZER = "organizer", "Organizer"
    SPEAKER = "speaker", "Speaker"
    MODERATOR = "moderator", "Moderator"
    PANELIST = "panelist", "Panelist"


COMMITTEE_ROLES = (Role.PLANNING_COMMITTEE, Role.WORKING_GROUP, Role.ORGANIZER)
SPEAKER_ROLES = (Role.SPEAKER, Role.MODERATOR, Role.PANELIST)


class EventRole(models.Model):
    """A person's part in one event, with their affiliation as it stood then."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="roles")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="event_roles")
    role = models.CharField(max_length=32, choices=Role.choices)
    group_name = models.CharField(
        max_length=200,
        blank=True,
        help_text="Shown as the heading instead of the role's name, e.g. 'NIH BRAIN NeuroAI Working Group'.",
    )
    title = models.CharField(max_length=100, blank=True, help_text="e.g. Co-chair")
    affiliation = models.CharField(max_length=300, blank=True, help_text="As it stood for this event.")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["event", "role", "order", "person__name"]
        constraints = [
            models.UniqueConstraint(fields=["event", "person", "role"], name="one_role_of_a_kind_per_person_and_event"),
        ]

    def __str__(self):
        return f"{self.person.name}: {self.get_role_display()} at {self.event}"

    @property
    def heading(self) -> str:
        return self.group_name or self.get_role_display()

    @property
    def shown_affiliation(self) -> str:
        return self.affiliation or self.person.affiliation


class SessionKind(models.TextChoices):
    """The blocks a scientific meeting's program is made of."""

    OPENING = "opening", "Opening"
    CLOSING = "closing", "Closing"
    KEYNOTE = "keynote", "Keynote"
    TALKS = "talks", "Talk session"
    PANEL = "panel", "Panel"
    POSTERS = "posters", "Posters"
    DISCUSSION = "discussion", "Discussion"
    BREAK = "break", "Break"
    MEAL = "meal", "Meal"
    OTHER = "other", "Other"


class Session(models.Model):
    """A block of the agenda: the opening, a keynote, a talk session, a panel, a break, the closing."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=16, choices=SessionKind.choices, default=SessionKind.TALKS)
    start = models.DateTimeField()
    end = models.DateTimeField()
    room = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    is_streamed = models.BooleanField(default=True, help_text="Virtual attendees can watch live.")
    is_recorded = models.BooleanField(default=False, help_text="A recording is planned.")
    stream_url = models.URLField(
        blank=True, help_text="Private: a session-specific join link; the event's link is used when blank."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "end", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="session_ends_after_start"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("program:session-detail", kwargs={"slug": self.event.slug, "pk": self.pk})

    def clean(self):
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "A session must end after it starts."})
        if self.event_id and self.start and self.end:
            first, after_last = self.event.day_bounds
            days = f"the event's days ({self.event.dates}, {self.event.timezone})"
            if not first <= self.start < after_last:
                raise ValidationError({"start": f"The session must start within {days}."})
            if self.end > after_last:
                raise ValidationError({"end": f"The session must end within {days}."})

    def talks_outside(self) -> list["Talk"]:
        """The saved talks whose times fall outside this session's (as it stands in memory)."""
        return [
            talk
            for talk in self.talks.exclude(start__isnull=True, end__isnull=True)
            if not talk.is_within(self.start, self.end)
        ]

    @property
    def is_break(self) -> bool:
        return self.kind in (SessionKind.BREAK, SessionKind.MEAL)

    @property
    def kind_label(self) -> str:
        """The kind as the agenda and calendars name it; "Other" tells an attendee nothing, so it is left out."""
        return "" if self.kind == SessionKind.OTHER else self.get_kind_display()

    @property
    def duration_minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


class SessionPerson(models.Model):
    """A person leading a session: its chair, moderator or a panelist."""

    class Part(models.TextChoices):
        CHAIR = "chair", "Chair"
        MODERATOR = "moderator", "Moderator"
        PANELIST = "panelist", "Panelist"
        SPEAKER = "speaker", "Speaker"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="people")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="session_parts")
    part = models.CharField(max_length=16, choices=Part.choices)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = "session person"
        constraints = [
            models.UniqueConstraint(fields=["session", "person", "part"], name="one_part_per_person_and_session"),
        ]

    def __str__(self):
        return f"{self.person.name}, {self.get_part_display()}"


class Talk(models.Model):
    """A talk inside a session, given by one or more speakers."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="talks")
    title = models.CharField(max_length=300)
    abstract = models.TextField(blank=True)
    start = models.DateTimeField(null=True, blank=True, help_text="Optional; within the session.")
    end = models.DateTimeField(null=True, blank=True)
    order = models.PositiveIntegerField(default=0)
    speakers = models.ManyToManyField(Person, through="TalkSpeaker", related_name="talks", blank=True)

    class Meta:
        ordering = ["order", "start", "pk"]

    def __str__(self):
        return self.title

    def clean(self):
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "A talk must end after it starts."})
        try:
            # In an admin inline this is the session as submitted, saved or not.
            session = self.session
        except Session.DoesNotExist:
            return
        if session.event_id and session.start and session.end and not self.is_within(session.start, session.end):
            zone = session.event.timezone
            span = f"{local_time(session.start, zone)} – {local_time(session.end, zone)}"
            field = "start" if self.start and not session.start <= self.start <= session.end else "end"
            raise ValidationError({field: f"A talk must be within its session ({span})."})

    def is_within(self, start: datetime, end: datetime) -> bool:
        """Whether the talk's times, those it has, lie between `start` and `end`."""
        return all(start <= moment <= end for moment in (self.start, self.end) if moment)

    @property
    def speaker_names(self) -> str:
        return ", ".join(link.person.name for link in self.speaker_links.all())


class TalkSpeaker(models.Model):
    talk = models.ForeignKey(Talk, on_delete=models.CASCADE, related_name="speaker_links")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="talk_links")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["talk", "person"], name="one_link_per_talk_and_speaker")]

    def __str__(self):
        return self.person.name


class RecordingQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)


class Recording(models.Model):
    """A video of a session or one talk; public only with the speakers' consent on record."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="recordings")
    talk = models.ForeignKey(
        Talk,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="recordings",
        help_text="Leave blank for a recording of the whole session.",
    )
    title = models.CharField(max_length=300, blank=True, help_text="Defaults to the talk's or session's title.")
    video_url = models.URLField()
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    consent_given = models.BooleanField(
        "speaker consent recorded",
        default=False,
        help_text="The speakers agreed in writing that this recording may be made public.",
    )
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    consent_recorded_at = models.DateTimeField(null=True, blank=True)
    consent_note = models.CharField(max_length=300, blank=True, help_text="e.g. 'Signed release form, 2024-11-01'.")
    is_published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = RecordingQuerySet.as_manager()

    class Meta:
        ordering = ["session__start", "talk__order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_published=False) | Q(consent_given=True, consent_recorded_at__isnull=False),
                name="recording_published_only_with_consent",
                violation_error_message="A recording can be published only after the speakers' consent is recorded.",
            ),
        ]

    def __str__(self):
        return self.display_title

    @property
    def display_title(self) -> str:
        return self.title or (self.talk.title if self.talk_id else self.session.title)

    @property
    def publish_blocker(self) -> str:
        """Why this recording cannot be published now, or '' when it can."""
        if not self.consent_given:
            return "Speaker consent has not been recorded."
        if not self.consent_recorded_at:
            return "The time the consent was recorded is missing."
        return ""

    def clean(self):
        if self.talk_id and self.session_id and self.talk.session_id != self.session_id:
            raise ValidationError({"talk": "The talk must belong to the recording's session."})
        if self.is_published and self.publish_blocker:
            raise ValidationError({"is_published": f"Cannot publish: {self.publish_blocker}"})
