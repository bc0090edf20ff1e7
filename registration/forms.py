"""Registration forms: the built-in questions and each event's own, validated alike."""

from django import forms

from program.models import Event

from . import selectors
from .models import CareerStage, Mode, Question, Registration
from .services import Answers, offered_modes

YES_NO = [("yes", "Yes"), ("no", "No")]


def _question_field(question: Question) -> forms.Field:
    common = {"label": question.label, "help_text": question.help_text, "required": question.required}
    if question.kind == Question.Kind.CHOICE:
        choices = [(option, option) for option in question.choice_list]
        if not question.required:
            choices = [("", "No answer"), *choices]
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    if question.kind == Question.Kind.YES_NO:
        return forms.ChoiceField(choices=YES_NO, widget=forms.RadioSelect, **common)
    return forms.CharField(max_length=500, **common)


class AnswersForm(forms.Form):
    """The answers an attendee gives and can edit later."""

    badge_name = forms.CharField(
        max_length=100,
        help_text="As it should be printed on your badge.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    affiliation = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"autocomplete": "organization"}))
    career_stage = forms.ChoiceField(
        label="Position / career stage", choices=[("", "Choose one"), *CareerStage.choices]
    )
    pronouns = forms.CharField(max_length=40, required=False, help_text="Optional; shown on your badge, e.g. she/her.")
    dietary_needs = forms.CharField(
        max_length=300, required=False, label="Dietary needs", help_text="In-person attendees: for meals and breaks."
    )
    accessibility_needs = forms.CharField(
        max_length=300,
        required=False,
        label="Accessibility needs",
        help_text="e.g. wheelchair access, captions, a reserved seat. Only organizers see this.",
    )
    consent_recording = forms.TypedChoiceField(
        label="May we record and photograph you during the workshop?",
        help_text="Sessions are streamed and recorded; photos may appear in reports about the workshop.",
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, event: Event, registration: Registration | None = None, **kwargs):
        self.event = event
        if registration is not None:
            kwargs.setdefault("initial", initial_answers(registration))
        super().__init__(*args, **kwargs)
        self.questions = selectors.questions(event)
        for question in self.questions:
            self.fields[question.field_name] = _question_field(question)

    def question_fields(self):
        """The event's own questions with their bound fields, in order."""
        return [(question, self[question.field_name]) for question in self.questions]

    def chosen_mode(self) -> str:
        """The attendance mode the answers are for: some questions are asked only in person."""
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        mode = self.chosen_mode()
        for question in self.questions:
            if question.in_person_only and mode != Mode.IN_PERSON:
                self.errors.pop(question.field_name, None)
                cleaned.pop(question.field_name, None)
        return cleaned

    def answers(self) -> Answers:
        data = self.cleaned_data
        mode = self.chosen_mode()
        # Keyed by question id, with the wording as asked, so a later edit of the label loses nothing.
        extra = {
            str(question.pk): {"question": question.label, "answer": data.get(question.field_name, "")}
            for question in self.questions
            if not (question.in_person_only and mode != Mode.IN_PERSON)
        }
        return Answers(
            badge_name=data["badge_name"].strip(),
            affiliation=data["affiliation"].strip(),
            career_stage=data["career_stage"],
            pronouns=data["pronouns"].strip(),
            dietary_needs=data["dietary_needs"].strip(),
            accessibility_needs=data["accessibility_needs"].strip(),
            consent_recording=data["consent_recording"],
            extra_answers=extra,
        )


class EditAnswersForm(AnswersForm):
    def __init__(self, *args, registration: Registration, **kwargs):
        self.registration = registration
        super().__init__(*args, event=registration.event, registration=registration, **kwargs)

    def chosen_mode(self) -> str:
        return self.registration.mode


class RegistrationForm(AnswersForm):
    """The whole registration: how to attend, the answers, and the code of conduct."""

    mode = forms.ChoiceField(label="How will you attend?", choices=Mode.choices, widget=forms.RadioSelect)
    virtual_meanwhile = forms.BooleanField(
        required=False,
        initial=True,
        label="If in person is full, give me a virtual seat while I wait.",
    )
    code_of_conduct = forms.BooleanField(
        label="I agree to follow the workshop's code of conduct.",
        error_messages={"required": "You must agree to the code of conduct to register."},
    )

    field_order = [
        "mode",
        "virtual_meanwhile",
        "badge_name",
        "affiliation",
        "career_stage",
        "pronouns",
        "dietary_needs",
        "accessibility_needs",
        "consent_recording",
    ]

    def __init__(self, *args, event: Event, registration: Registration | None = None, **kwargs):
        """`registration`, a cancelled one of this person's, fills in the answers and the mode given last time."""
        super().__init__(*args, event=event, registration=registration, **kwargs)
        modes = offered_modes(event)
        self.fields["mode"].choices = [(value, label) for value, label in Mode.choices if value in modes]
        if len(modes) == 1:
            self.fields["mode"].initial = modes[0]
        elif registration is not None and registration.mode in modes:
            self.fields["mode"].initial = registration.mode
        if Mode.IN_PERSON not in modes or Mode.VIRTUAL not in modes:
            del self.fields["virtual_meanwhile"]
        # The code of conduct comes last, after the event's own questions.
        self.fields["code_of_conduct"] = self.fields.pop("code_of_conduct")

    def chosen_mode(self) -> str:
        return self.cleaned_data.get("mode", "")


def initial_answers(registration: Registration) -> dict:
    initial = {
        "badge_name": registration.badge_name,
        "affiliation": registration.affiliation,
        "career_stage": registration.career_stage,
        "pronouns": registration.pronouns,
        "dietary_needs": registration.dietary_needs,
        "accessibility_needs": registration.accessibility_needs,
        "consent_recording": "yes" if registration.consent_recording else "no",
    }
    for question in registration.event.questions.all():
        if str(question.pk) in registration.extra_answers:
            initial[question.field_name] = registration.extra_answers[str(question.pk)]["answer"]
    return initial


class ModeForm(forms.Form):
    mode = forms.ChoiceField(choices=Mode.choices)


class UndoCheckInForm(forms.Form):
    """Which check-in the desk takes back: the registration and the moment it was checked in."""

    registration = forms.IntegerField(min_value=1)
    checked_in_at = forms.DateTimeField()
