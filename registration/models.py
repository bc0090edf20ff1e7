"""Registrations for an event: who attends, how, and what they told us."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse

from program.models import Event

# Bump when the consent or code-of-conduct wording on the form changes; stored with each answer.
CONSENT_WORDING_VERSION = "2024-10"
CODE_OF_CONDUCT_VERSION = "2024-10"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


# Unambiguous characters for a code people read off a badge and type at the door.
CHECKIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_checkin_code() -> str:
    return "".join(secrets.choice(CHECKIN_ALPHABET) for _ in range(8))


class Mode(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    VIRTUAL = "virtual", "Virtual"


class Status(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    WAITLISTED = "waitlisted", "Waitlisted"
    CANCELLED = "cancelled", "Cancelled"


class CareerStage(models.TextChoices):
    STUDENT = "student", "Student"
    POSTDOC = "postdoc", "Postdoctoral researcher"
    EARLY = "early_career", "Early-career faculty or scientist"
    MID = "mid_career", "Mid-career faculty or scientist"
    SENIOR = "senior", "Senior faculty or scientist"
    INDUSTRY = "industry", "Industry"
    GOVERNMENT = "government", "Government or funding agency"
    OTHER = "other", "Other"


class RegistrationQuerySet(models.QuerySet):
    def live(self):
        return self.exclude(status=Status.CANCELLED)

    def live_for(self, *, event, user):
        """The person's live registration for the event, of which the database allows one."""
        return self.live().filter(event=event, user=user)

    def confirmed(self):
        return self.filter(status=Status.CONFIRMED)

    def waitlisted(self):
        return self.filter(status=Status.WAITLISTED)

    def waitlist_order(self):
        return self.waitlisted().order_by("waitlisted_at", "pk")


class Registration(models.Model):
    """One person's registration for one event.

    ``mode`` is how they want to attend and ``status`` whether they have that seat.
    Someone waitlisted for in person may hold a virtual seat meanwhile
    (``virtual_meanwhile``) without losing their place in the line (``waitlisted_at``).
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="registrations"
    )
    mode = models.CharField(max_length=16, choices=Mode.choices)
    status = models.CharField(max_length=16, choices=Status.choices)
    virtual_meanwhile = models.BooleanField(
        default=False, help_text="Waitlisted for in person, holding a virtual seat meanwhile."
    )
    waitlisted_at = models.DateTimeField(null=True, blank=True, help_text="Place in the waitlist.")

    # Answers.
    badge_name = models.CharField(max_length=100)
    affiliation = models.CharField(max_length=200)
    career_stage = models.CharField("position / career stage", max_length=32, choices=CareerStage.choices)
    pronouns = models.CharField(max_length=40, blank=True)
    dietary_needs = models.CharField(max_length=300, blank=True)
    accessibility_needs = models.CharField(max_length=300, blank=True)
    consent_recording = models.BooleanField(
        "consents to being recorded and photographed", null=True, help_text="Null when the answers were erased."
    )
    consent_recording_at = models.DateTimeField(null=True, blank=True)
    consent_wording_version = models.CharField(max_length=20, blank=True)
    code_of_conduct_accepted_at = models.DateTimeField(null=True, blank=True)
    code_of_conduct_version = models.CharField(max_length=20, blank=True)
    extra_answers = models.JSONField(default=dict, blank=True, help_text="Answers to the event's own questions.")
    answers_erased_at = models.DateTimeField(null=True, blank=True)

    # Secrets and the door.
    feed_token = models.CharField(max_length=64, unique=True, default=new_feed_token, editable=False)
    checkin_code = models.CharField(max_length=8, unique=True, default=new_checkin_code, editable=False)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    invite_sequence = models.PositiveIntegerField(
        default=0, help_text="iCalendar SEQUENCE of this registration's invite; raised on every change."
    )
    invite_fingerprint = models.CharField(
        max_length=64, blank=True, help_text="What the last invite said (times, place, mode), to notice changes."
    )

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=~Q(status="cancelled"),
                name="one_live_registration_per_user_and_event",
                violation_error_message="You are already registered for this event.",
            ),
            models.CheckConstraint(
                condition=Q(status="waitlisted", waitlisted_at__isnull=False) | ~Q(status="waitlisted"),
                name="waitlisted_registration_has_a_place",
            ),
            models.CheckConstraint(
                condition=Q(virtual_meanwhile=False) | Q(status="waitlisted", mode="in_person"),
                name="virtual_meanwhile_only_while_waiting_for_in_person",
            ),
        ]
        # What organizer pages outside the admin need, beside Django's own view/change permissions: a check-in
        # volunteer gets `check_in` alone (registration.views).
        permissions = [("check_in", "Can check people in at the door"), ("print_badges", "Can print badges")]
        indexes = [models.Index(fields=["event", "status", "mode"])]

    def __str__(self):
        return f"{self.badge_name} – {self.event.name} ({self.get_mode_display()}, {self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("registration:my-registration", kwargs={"slug": self.event.slug})

    @property
    def is_live(self) -> bool:
        return self.status != Status.CANCELLED

    @property
    def is_confirmed(self) -> bool:
        return self.status == Status.CONFIRMED

    @property
    def is_waitlisted(self) -> bool:
        return self.status == Status.WAITLISTED

    @property
    def attends_virtually(self) -> bool:
        """Whether the virtual stream is theirs: a confirmed virtual seat, or one held while waitlisted."""
        return (self.is_confirmed and self.mode == Mode.VIRTUAL) or self.virtual_meanwhile

    @property
    def checkin_code_display(self) -> str:
        """The check-in code as people read it, in two groups of four ("K7PM 2QXD"); typed in any form it is found
        (registration.checkin.normalize_code)."""
        return f"{self.checkin_code[:4]} {self.checkin_code[4:]}"

    @property
    def mode_adjective(self) -> str:
        """The mode before a noun ("an in-person seat"); its label is for standing alone ("In person")."""
        return "in-person" if self.mode == Mode.IN_PERSON else "virtual"

    @property
    def status_label(self) -> str:
        if self.is_waitlisted:
            label = f"Waitlisted for {self.get_mode_display().lower()}"
            return label + (", with a virtual seat meanwhile" if self.virtual_meanwhile else "")
        return f"{self.get_status_display()}, {self.get_mode_display().lower()}"


class Question(models.Model):
    """An extra question an event asks on its registration form."""

    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        CHOICE = "choice", "Choice"
        YES_NO = "yes_no", "Yes / no"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="questions")
    label = models.CharField(max_length=300)
    help_text = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TEXT)
    choices = models.TextField(blank=True, help_text="For a choice question: one option per line.")
    required = models.BooleanField(default=False)
    in_person_only = models.BooleanField(default=False, help_text="Asked only of in-person attendees.")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self):
        return self.label

    @property
    def field_name(self) -> str:
        return f"question_{self.pk}"

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]

    def clean(self):
        if self.kind == self.Kind.CHOICE and len(self.choice_list) < 2:
            raise ValidationError({"choices": "A choice question needs at least two options, one per line."})


class InviteRefresh(models.Model):
    """Updated invites an agenda edit owes the event's registrants, due once its edits have paused for
    INVITE_REFRESH_DELAY: each edit moves the time on, so a burst of edits sends one update, or none if the
    invites end as they were (registration.tasks.notices)."""

    event = models.OneToOneField(Event, on_delete=models.CASCADE, primary_key=True, related_name="+")
    due_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"Updated invites for event {self.event_id}, due {self.due_at:%Y-%m-%d %H:%M:%S}"


class Notification(models.Model):
    """Something a registration change owes the attendee (an email with its invite), recorded in the
    same transaction as the change, so a broker outage loses nothing: a sweep delivers what is unsent."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", "Confirmation"
        WAITLISTED = "waitlisted", "Waitlisted"
        PROMOTED = "promoted", "Promoted from the waitlist"
        MODE_CHANGED = "mode_changed", "Attendance mode changed"
        CANCELLED = "cancelled", "Cancellation"
        AGENDA_CHANGED = "agenda_changed", "Agenda times changed"
        REMINDER = "reminder", "Reminder"

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["sent_at", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "kind"], condition=Q(kind="reminder"), name="one_reminder_per_registration"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.registration_id}"


class BadgeSheet(models.Model):
    """A PDF of many badges for organizers to print, built by a Celery task."""

    class Paper(models.TextChoices):
        LETTER = "letter", "US Letter"
        A4 = "a4", "A4"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to start"
        RUNNING = "running", "Building"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="badge_sheets")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    registration_ids = models.JSONField(
        default=list, blank=True, help_text="The registrations to print; empty for every confirmed in-person one."
    )
    paper = models.CharField(max_length=10, choices=Paper.choices, default=Paper.LETTER)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="badge-sheets/", blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Badge sheet for {self.event} ({self.get_state_display()})"

    def get_absolute_url(self):
        return reverse("registration:badge-sheet", kwargs={"slug": self.event.slug, "pk": self.pk})

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else (100 if self.state == self.State.DONE else 0)
