"""Spreadsheet import and export for organizers: people, roster roles, the agenda and its talks.

An import is all or nothing: one bad row and no row is saved, and the preview lists each bad row
with its number and the reason. Agenda times are read and written in the event's own timezone, so
a spreadsheet shows what the agenda page shows. Exported cells that a spreadsheet would run as a
formula are neutralised (OWASP "CSV injection"), and imports undo that, so an export imports back.
"""

from datetime import UTC, date, datetime, time

from django.core.exceptions import ValidationError
from django.db.models import TextChoices
from import_export import fields, resources, widgets

from .models import Event, EventRole, Person, Role, Session, SessionKind, Talk, TalkSpeaker

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
TIME_FORMATS = ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M%p", "%I %p", "%I%p")
TIME_HINT = "use HH:MM in the event's timezone, e.g. 09:30 or 14:00"
SPEAKER_SEPARATOR = ";"


def neutralise_formula(value):
    """Prefix a cell that a spreadsheet would run as a formula with a single quote, so it reads as text."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return f"'{value}"
    return value


def restore_formula(value):
    """Undo `neutralise_formula`."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


def _text(row, column: str) -> str:
    value = row.get(column)
    return "" if value is None else str(value).strip()


def find_person(*, name: str, affiliation: str = "", email: str = "") -> Person | None:
    """The one person with this email, else with this name and affiliation (any case), else None.

    Raises ValueError when the file cannot tell two people apart.
    """
    if email:
        by_email = list(Person.objects.filter(email__iexact=email)[:2])
        if len(by_email) > 1:
            raise ValueError(f"More than one person has the email {email}; merge them first.")
        if by_email:
            return by_email[0]
    by_name = list(Person.objects.filter(name__iexact=name, affiliation__iexact=affiliation)[:2])
    if len(by_name) > 1:
        raise ValueError(f"More than one person is named “{name}” at “{affiliation}”; add an email to tell them apart.")
    return by_name[0] if by_name else None


def parse_local_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = "" if value is None else str(value).strip()
    if not text:
        raise ValueError("A date is required; use YYYY-MM-DD, e.g. 2030-11-12.")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"Malformed date “{text}”; use YYYY-MM-DD, e.g. 2030-11-12.") from None


def parse_local_time(value) -> time:
    if isinstance(value, datetime):
        return value.time()
    if isinstance(value, time):
        return value
    text = "" if value is None else str(value).strip().upper()
    if not text:
        raise ValueError(f"A time is required; {TIME_HINT}.")
    for time_format in TIME_FORMATS:
        try:
            return datetime.strptime(text, time_format).time()
        except ValueError:
            continue
    raise ValueError(f"Malformed time “{text}”; {TIME_HINT}.")


def localize(day: date, wall_clock: time, event: Event) -> datetime:
    """The moment this date and wall-clock time name in the event's zone; ValueError for a skipped hour."""
    naive = datetime.combine(day, wall_clock)
    moment = naive.replace(tzinfo=event.tzinfo)
    if moment.astimezone(UTC).astimezone(event.tzinfo).replace(tzinfo=None) != naive:
        raise ValueError(f"{naive:%Y-%m-%d %H:%M} does not exist in {event.timezone}: the clocks skip it.")
    return moment


class ChoiceWidget(widgets.Widget):
    """A choice read by its value or its label in any case, and written as its label.

    `aliases` maps retired values or labels (lower case) to today's value, so older files import back.
    """

    def __init__(
        self,
        choices: type[TextChoices],
        *,
        noun: str,
        default: str | None = None,
        aliases: dict[str, str] | None = None,
    ):
        self.choices = choices
        self.noun = noun
        self.default = default
        self.aliases = aliases or {}
        super().__init__()

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip()
        labels = ", ".join(self.choices.labels)
        if not text:
            if self.default is not None:
                return self.default
            raise ValueError(f"A {self.noun} is required; use one of: {labels}.")
        for member in self.choices:
            if text.casefold() in (member.value.casefold(), member.label.casefold()):
                return member.value
        if text.casefold() in self.aliases:
            return self.aliases[text.casefold()]
        raise ValueError(f"Unknown {self.noun} “{text}”; use one of: {labels}.")

    def render(self, value, obj=None, **kwargs):
        return self.choices(value).label if value else ""


class YesNoWidget(widgets.Widget):
    """yes/no, true/false, 1/0 or x; a blank cell takes the default."""

    YES = {"yes", "y", "true", "1", "x"}
    NO = {"no", "n", "false", "0"}

    def __init__(self, *, default: bool):
        self.default = default
        super().__init__()

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = "" if value is None else str(value).strip().casefold()
        if not text:
            return self.default
        if text in self.YES:
            return True
        if text in self.NO:
            return False
        raise ValueError(f"“{value}” is not yes or no.")

    def render(self, value, obj=None, **kwargs):
        return "yes" if value else "no"


class EventSlugWidget(widgets.ForeignKeyWidget):
    def __init__(self):
        super().__init__(Event, "slug")

    def clean(self, value, row=None, **kwargs):
        slug = "" if value is None else str(value).strip()
        if not slug:
            raise ValueError("The event's slug is required.")
        event = Event.objects.filter(slug=slug).first()
        if event is None:
            raise ValueError(f"No event has the slug “{slug}”.")
        return event


class PersonWidget(widgets.Widget):
    """A person found by the row's email, else by name and affiliation, and created when missing."""

    def clean(self, value, row=None, **kwargs):
        name = "" if value is None else str(value).strip()
        if not name:
            raise ValueError("The person's name is required.")
        affiliation, email = _text(row, "affiliation"), _text(row, "email")
        person = find_person(name=name, affiliation=affiliation, email=email)
        if person is None:
            person = Person(name=name, affiliation=affiliation, email=email)
            try:
                person.full_clean()
            except ValidationError as error:
                raise ValueError(" ".join(error.messages)) from None
            # Saved within the import's transaction: a bad row anywhere rolls this back too.
            person.save()
        return person

    def render(self, value, obj=None, **kwargs):
        return value.name if value else ""


class SessionTitleWidget(widgets.Widget):
    """A session found by its title within the row's event."""

    def clean(self, value, row=None, **kwargs):
        title, slug = ("" if value is None else str(value).strip()), _text(row, "event")
        if not title:
            raise ValueError("The session's title is required.")
        if not Event.objects.filter(slug=slug).exists():
            raise ValueError(f"No event has the slug “{slug}”.")
        sessions = list(Session.objects.filter(event__slug=slug, title__iexact=title)[:2])
        if not sessions:
            raise ValueError(f"No session is titled “{title}” in the event “{slug}”.")
        if len(sessions) > 1:
            raise ValueError(f"More than one session is titled “{title}”; give them distinct titles first.")
        return sessions[0]

    def render(self, value, obj=None, **kwargs):
        return value.title if value else ""


# Rows an organizer's spreadsheet may hold: a workshop's roster or agenda is a few hundred.
MAX_IMPORT_ROWS = 2000


class OrganizerResource(resources.ModelResource):
    """What every organizer spreadsheet shares: all-or-nothing imports and formula-safe exports."""

    class Meta:
        use_transactions = True
        clean_model_instances = True
        skip_unchanged = False
        report_skipped = False

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=False,
        **kwargs,
    ):
        # A half-imported agenda is worse than none: roll back on any bad row, whoever calls.
        return super().import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=raise_errors,
            use_transactions=True,
            collect_failed_rows=collect_failed_rows,
            rollback_on_validation_errors=True,
            **kwargs,
        )

    def before_import(self, dataset, **kwargs):
        # A file is checked and previewed in one request: past this size that took minutes (20,000 people, 115 s).
        if len(dataset) > MAX_IMPORT_ROWS:
            raise ValueError(
                f"This file has {len(dataset):,} rows; import at most {MAX_IMPORT_ROWS:,} at a time. "
                "Split it into smaller files and import them one after another."
            )
        # Spreadsheet users type "Event" or " event "; columns are matched in lower case.
        if dataset.headers:
            dataset.headers = [str(header).strip().lower() if header else header for header in dataset.headers]

    def before_import_row(self, row, **kwargs):
        for column, value in row.items():
            if isinstance(value, str):
                row[column] = restore_formula(value.strip())

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if all(value in (None, "") for value in row.values()):
            return True
        return super().skip_row(instance, original, row, import_validation_errors)

    def export_field(self, field, instance, **kwargs):
        return neutralise_formula(super().export_field(field, instance, **kwargs))


class PersonResource(OrganizerResource):
    """People: matched by email, else by name and affiliation; new people are added."""

    name = fields.Field(attribute="name", column_name="name", widget=widgets.CharWidget())
    affiliation = fields.Field(attribute="affiliation", column_name="affiliation", widget=widgets.CharWidget())
    email = fields.Field(attribute="email", column_name="email", widget=widgets.CharWidget())
    website = fields.Field(attribute="website", column_name="website", widget=widgets.CharWidget())
    bio = fields.Field(attribute="bio", column_name="bio", widget=widgets.CharWidget())

    class Meta:
        model = Person
        fields = ("name", "affiliation", "email", "website", "bio")

    def get_instance(self, instance_loader, row):
        try:
            return find_person(
                name=_text(row, "name"), affiliation=_text(row, "affiliation"), email=_text(row, "email")
            )
        except ValueError as error:
            raise ValidationError({"name": str(error)}) from None


class EventRoleResource(OrganizerResource):
    """Roster roles: event by slug, person by email or name and affiliation (added when missing)."""

    event = fields.Field(attribute="event", column_name="event", widget=EventSlugWidget())
    person = fields.Field(attribute="person", column_name="person", widget=PersonWidget())
    affiliation = fields.Field(attribute="affiliation", column_name="affiliation", widget=widgets.CharWidget())
    email = fields.Field(attribute="person__email", column_name="email", readonly=True)
    role = fields.Field(attribute="role", column_name="role", widget=ChoiceWidget(Role, noun="role"))
    group_name = fields.Field(attribute="group_name", column_name="group_name", widget=widgets.CharWidget())
    title = fields.Field(attribute="title", column_name="title", widget=widgets.CharWidget())
    order = fields.Field(attribute="order", column_name="order", widget=widgets.IntegerWidget(), default=0)

    class Meta:
        model = EventRole
        fields = ("event", "person", "affiliation", "email", "role", "group_name", "title", "order")

    def get_instance(self, instance_loader, row):
        event = Event.objects.filter(slug=_text(row, "event")).first()
        try:
            person = find_person(
                name=_text(row, "person"), affiliation=_text(row, "affiliation"), email=_text(row, "email")
            )
            role = self.fields["role"].widget.clean(row.get("role"))
        except ValueError:
            return None  # the row's own fields report it
        if event is None or person is None:
            return None
        return EventRole.objects.filter(event=event, person=person, role=role).first()

    def dehydrate_affiliation(self, role: EventRole) -> str:
        return role.shown_affiliation if role.person_id else role.affiliation

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("event", "person")


class SessionResource(OrganizerResource):
    """The agenda: one row a session, its date and times in the event's own timezone.

    A row with an id updates that session; without one, a session of the same event, title, date
    and start is updated, so importing a file twice adds nothing twice.
    """

    id = fields.Field(attribute="id", column_name="id", widget=widgets.IntegerWidget(), readonly=True)
    event = fields.Field(attribute="event", column_name="event", widget=EventSlugWidget())
    title = fields.Field(attribute="title", column_name="title", widget=widgets.CharWidget())
    kind = fields.Field(
        attribute="kind",
        column_name="kind",
        # Files exported before sessions had an opening and a closing kind say "Welcome".
        widget=ChoiceWidget(
            SessionKind, noun="kind", default=SessionKind.TALKS, aliases={"welcome": SessionKind.OPENING}
        ),
    )
    date = fields.Field(column_name="date")
    start = fields.Field(column_name="start")
    end = fields.Field(column_name="end")
    room = fields.Field(attribute="room", column_name="room", widget=widgets.CharWidget())
    streamed = fields.Field(attribute="is_streamed", column_name="streamed", widget=YesNoWidget(default=True))
    recorded = fields.Field(attribute="is_recorded", column_name="recorded", widget=YesNoWidget(default=False))
    description = fields.Field(attribute="description", column_name="description", widget=widgets.CharWidget())

    TIME_COLUMNS = {"event", "date", "start", "end"}

    class Meta:
        model = Session
        fields = ("id", "event", "title", "kind", "date", "start", "end", "room", "streamed", "recorded", "description")

    def get_instance(self, instance_loader, row):
        pk = _text(row, "id")
        if pk:
            session = Session.objects.filter(pk=pk).first() if pk.isdigit() else None
            if session is None:
                raise ValidationError({"id": f"No session has the id {pk}; leave it blank to add a new session."})
            return session
        event = Event.objects.filter(slug=_text(row, "event")).first()
        if event is None:
            return None
        try:
            start = localize(parse_local_date(row.get("date")), parse_local_time(row.get("start")), event)
        except ValueError:
            return None  # reported by import_instance
        return Session.objects.filter(event=event, title=_text(row, "title"), start=start).first()

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        parsed = {}
        for column, parse in (("date", parse_local_date), ("start", parse_local_time), ("end", parse_local_time)):
            try:
                parsed[column] = parse(row.get(column))
            except ValueError as error:
                errors[column] = [str(error)]
        if instance.event_id is None and "event" not in errors:
            errors["event"] = ["The event's slug is required."]
        if not errors.keys() & self.TIME_COLUMNS:
            for column in ("start", "end"):
                try:
                    setattr(instance, column, localize(parsed["date"], parsed[column], instance.event))
                except ValueError as error:
                    errors[column] = [str(error)]
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        exclude = set(errors)
        if exclude & self.TIME_COLUMNS:
            # Times that could not be read are reported once, not again as missing.
            exclude |= {"start", "end"}
        try:
            instance.full_clean(exclude=exclude, validate_unique=validate_unique)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if not errors and instance.pk and (talks := instance.talks_outside()):
            titles = "; ".join(f"“{talk.title}”" for talk in talks)
            errors["start"] = [
                f"Its talks would fall outside the new times: {titles}. "
                "Move the session and its talks together on the session's page in the admin."
            ]
        if errors:
            raise ValidationError(errors)

    def _local(self, session: Session, moment: datetime | None) -> datetime | None:
        return moment.astimezone(session.event.tzinfo) if moment and session.event_id else None

    def dehydrate_date(self, session: Session) -> str:
        start = self._local(session, session.start)
        return start.date().isoformat() if start else ""

    def dehydrate_start(self, session: Session) -> str:
        start = self._local(session, session.start)
        return f"{start:%H:%M}" if start else ""

    def dehydrate_end(self, session: Session) -> str:
        end = self._local(session, session.end)
        return f"{end:%H:%M}" if end else ""

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("event")


class TalkResource(OrganizerResource):
    """Talks: found by event, session title and talk title; speakers as "Name; Name", added when missing."""

    event = fields.Field(attribute="session__event__slug", column_name="event", readonly=True)
    session = fields.Field(attribute="session", column_name="session", widget=SessionTitleWidget())
    title = fields.Field(attribute="title", column_name="title", widget=widgets.CharWidget())
    speakers = fields.Field(column_name="speakers")
    order = fields.Field(attribute="order", column_name="order", widget=widgets.IntegerWidget(), default=0)
    abstract = fields.Field(attribute="abstract", column_name="abstract", widget=widgets.CharWidget())

    class Meta:
        model = Talk
        fields = ("event", "session", "title", "speakers", "order", "abstract")

    def get_instance(self, instance_loader, row):
        return Talk.objects.filter(
            session__event__slug=_text(row, "event"),
            session__title__iexact=_text(row, "session"),
            title__iexact=_text(row, "title"),
        ).first()

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if "speakers" in row:
            try:
                instance._speakers_to_link = self._speakers(row["speakers"])
            except ValueError as error:
                errors["speakers"] = [str(error)]
        if errors:
            raise ValidationError(errors)

    def _speakers(self, value) -> list[Person | str]:
        """Each named speaker: the one person of that name, or the name of a person to add."""
        names = [name.strip() for name in str(value or "").split(SPEAKER_SEPARATOR) if name.strip()]
        speakers: list[Person | str] = []
        for name in dict.fromkeys(names):
            people = list(Person.objects.filter(name__iexact=name)[:2])
            if len(people) > 1:
                raise ValueError(f"More than one person is named “{name}”; link this speaker on the talk's page.")
            speakers.append(people[0] if people else name)
        return speakers

    def after_save_instance(self, instance, row, **kwargs):
        speakers = getattr(instance, "_speakers_to_link", None)
        if speakers is None:
            return
        existing = {link.person_id: link for link in instance.speaker_links.all()}
        for order, speaker in enumerate(speakers):
            person = speaker if isinstance(speaker, Person) else Person.objects.create(name=speaker)
            link = existing.pop(person.pk, None)
            if link is None:
                TalkSpeaker.objects.create(talk=instance, person=person, order=order)
            elif link.order != order:
                link.order = order
                link.save(update_fields=["order"])
        for link in existing.values():
            link.delete()

    def dehydrate_speakers(self, talk: Talk) -> str:
        if not talk.pk:
            return ""
        return f"{SPEAKER_SEPARATOR} ".join(link.person.name for link in talk.speaker_links.all())

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("session__event").prefetch_related("speaker_links__person")
