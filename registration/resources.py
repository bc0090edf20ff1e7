"""Registrations as organizer spreadsheets: the roster, and the full export with needs, consent and answers.

Export only: people register themselves, so nothing here imports. Every cell and every header that a
spreadsheet would run as a formula is neutralised (OWASP "CSV injection"); headers too, because the
full export's headers include the wording of the event's own questions, which organizers type freely.
"""

from datetime import UTC
from functools import partial

from import_export import fields, resources, widgets

from program.resources import neutralise_formula

from .models import Registration


class UTCWidget(widgets.Widget):
    """A moment as YYYY-MM-DD HH:MM in UTC, so a file reads the same wherever it is opened."""

    def render(self, value, obj=None, **kwargs):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else ""


def answer_to(question: str, registration: Registration):
    """The registration's answer to the question with this wording, or "" if it was not asked."""
    for item in registration.extra_answers.values():
        if item["question"] == question:
            return item["answer"]
    return ""


class RegistrationResource(resources.ModelResource):
    """The roster: names, affiliations, mode and status, what most organizer tasks need."""

    id = fields.Field(attribute="pk", column_name="Registration")
    event = fields.Field(attribute="event__slug", column_name="Event")
    badge_name = fields.Field(attribute="badge_name", column_name="Badge name")
    email = fields.Field(attribute="user__email", column_name="Email")
    affiliation = fields.Field(attribute="affiliation", column_name="Affiliation")
    career_stage = fields.Field(attribute="get_career_stage_display", column_name="Career stage")
    mode = fields.Field(attribute="get_mode_display", column_name="Mode")
    status = fields.Field(attribute="get_status_display", column_name="Status")
    virtual_meanwhile = fields.Field(column_name="Virtual seat while waitlisted")
    created_at = fields.Field(attribute="created_at", column_name="Registered at (UTC)", widget=UTCWidget())
    checked_in_at = fields.Field(attribute="checked_in_at", column_name="Checked in at (UTC)", widget=UTCWidget())

    class Meta:
        model = Registration
        fields = (
            "id",
            "event",
            "badge_name",
            "email",
            "affiliation",
            "career_stage",
            "mode",
            "status",
            "virtual_meanwhile",
            "created_at",
            "checked_in_at",
        )

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("event", "user")

    def dehydrate_virtual_meanwhile(self, registration: Registration) -> str:
        return "yes" if registration.virtual_meanwhile else ""

    def get_export_headers(self, selected_fields=None):
        return [neutralise_formula(header) for header in super().get_export_headers(selected_fields)]

    def export_field(self, field, instance, **kwargs):
        return neutralise_formula(super().export_field(field, instance, **kwargs))


class FullRegistrationResource(RegistrationResource):
    """The roster plus needs, consent and one column for each of the event's own questions.

    The question columns are those answered in the exported registrations, in alphabetical order,
    headed by the wording as it was asked.
    """

    pronouns = fields.Field(attribute="pronouns", column_name="Pronouns")
    dietary_needs = fields.Field(attribute="dietary_needs", column_name="Dietary needs")
    accessibility_needs = fields.Field(attribute="accessibility_needs", column_name="Accessibility needs")
    consent_recording = fields.Field(column_name="Consents to recording and photos")
    consent_recording_at = fields.Field(
        attribute="consent_recording_at", column_name="Consent given at (UTC)", widget=UTCWidget()
    )
    consent_wording_version = fields.Field(attribute="consent_wording_version", column_name="Consent wording version")

    class Meta:
        fields = (
            *RegistrationResource.Meta.fields,
            "pronouns",
            "dietary_needs",
            "accessibility_needs",
            "consent_recording",
            "consent_recording_at",
            "consent_wording_version",
        )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.question_fields: dict[str, str] = {}

    def before_export(self, queryset, **kwargs):
        answered = queryset.values_list("extra_answers", flat=True)
        questions = sorted({item["question"] for answers in answered for item in answers.values()})
        self.question_fields = {f"question_{number}": question for number, question in enumerate(questions, start=1)}
        for name, question in self.question_fields.items():
            self.fields[name] = fields.Field(column_name=question, dehydrate_method=partial(answer_to, question))

    def get_export_order(self):
        # By field name only: the default order would drop a question worded like a field name, such as "email".
        return (*self._meta.fields, *self.question_fields)

    def dehydrate_consent_recording(self, registration: Registration) -> str:
        return {True: "yes", False: "no"}.get(registration.consent_recording, "")
