"""The organizer side: events, roster, agenda and recordings in the Django admin.

Agenda times are entered in the event's own timezone: the session, talk and event forms run under
`timezone.override(event.timezone)`. Writes with rules (duplicating an event, consent, publishing)
go through `program.services`, one object at a time, so auditlog records each with its actor.
"""

from contextlib import nullcontext
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AdminDateWidget
from django.contrib.contenttypes.models import ContentType
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV

from . import services
from .dates import local_time
from .models import KNOWN_ZONES, Event, EventRole, Person, Recording, Session, SessionPerson, Talk, TalkSpeaker
from .resources import EventRoleResource, PersonResource, SessionResource, TalkResource


class EventTimezoneMixin:
    """Runs the change form in the zone of the event it belongs to, so times are entered as the agenda shows them.

    The zone comes from the submitted form (what will be saved), else from the object, else from an
    `?event=` prefill; without one, Django's default zone applies.
    """

    zoned_fields: tuple[str, ...] = ()

    def event_zone(self, request, object_id) -> str | None:
        raise NotImplementedError

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        zone = self.event_zone(request, object_id)
        with timezone.override(zone) if zone else nullcontext():
            response = super().changeform_view(request, object_id, form_url, extra_context)
            # The form converts times when the template renders it: render inside the zone.
            if hasattr(response, "render"):
                response.render()
        return response

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        zone = self.event_zone(request, obj.pk if obj else None)
        where = f"{zone}, the event's timezone" if zone else "the event's timezone"
        for name in self.zoned_fields:
            if name in form.base_fields:
                form.base_fields[name].help_text = f"Local time in {where}."
        return form


def _pk(value) -> str | None:
    """A primary key from the URL or a form, or None for anything else."""
    value = "" if value is None else str(value)
    return value if value.isdigit() else None


class SpreadsheetAdmin(ImportExportModelAdmin):
    """CSV import and export, allowed by the model's own permissions.

    import-export allows both to any staff user unless a setting says otherwise; people's emails are
    private and an import writes many rows, so ask what the change form would ask.
    """

    import_formats = export_formats = [CSV]
    import_also_needs: tuple[str, ...] = ()

    def has_import_permission(self, request):
        return (
            self.has_add_permission(request)
            and self.has_change_permission(request)
            and request.user.has_perms(self.import_also_needs)
        )

    def has_export_permission(self, request):
        return self.has_view_permission(request)


# --- Events and roster ---------------------------------------------------------------------------


class EventRoleInline(admin.TabularInline):
    model = EventRole
    fields = ["person", "role", "group_name", "title", "affiliation", "order"]
    autocomplete_fields = ["person"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person")


class DuplicateEventForm(forms.Form):
    new_start_date = forms.DateField(
        widget=AdminDateWidget,
        help_text="The first day of the copy. Every session moves by the same number of days, at the same local time.",
    )


@admin.register(Event)
class EventAdmin(EventTimezoneMixin, admin.ModelAdmin):
    list_display = ["name", "start_date", "end_date", "timezone", "is_published", "public_links"]
    list_filter = ["is_published", "is_virtual"]
    search_fields = ["name", "slug", "venue_name"]
    date_hierarchy = "start_date"
    prepopulated_fields = {"slug": ["name"]}
    inlines = [EventRoleInline]
    actions = ["duplicate_for_next_year"]
    readonly_fields = ["public_links", "created_at", "updated_at"]
    zoned_fields = ("registration_opens", "registration_closes")
    fieldsets = [
        (None, {"fields": ["name", "slug", "tagline", "description", "is_published", "public_links"]}),
        ("When and where", {"fields": ["start_date", "end_date", "timezone", "venue_name", "venue_address"]}),
        (
            "Attending",
            {
                "fields": [
                    "in_person_capacity",
                    "is_virtual",
                    "virtual_platform",
                    "virtual_join_url",
                    "virtual_capacity",
                ]
            },
        ),
        ("Registration", {"fields": ["registration_opens", "registration_closes", "contact_email"]}),
        ("Agenda", {"fields": ["agenda_note"]}),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def event_zone(self, request, object_id):
        zone = request.POST.get("timezone")
        if zone in KNOWN_ZONES:
            return zone
        if _pk(object_id):
            return Event.objects.filter(pk=object_id).values_list("timezone", flat=True).first()
        return None

    @admin.display(description="public pages")
    def public_links(self, event: Event) -> str:
        if not event.pk:
            return "—"
        return format_html(
            '<a href="{}">Event page</a> · <a href="{}">Agenda</a>',
            event.get_absolute_url(),
            reverse("program:agenda", kwargs={"slug": event.slug}),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "audit_history_url": self.audit_history_url(object_id)}
        return super().change_view(request, object_id, form_url, extra_context)

    def audit_history_url(self, object_id) -> str:
        """auditlog's log of every change to this event, filtered with its own admin's filters."""
        content_type = ContentType.objects.get_for_model(Event)
        query = urlencode({"resource_type": content_type.pk, "object_id": object_id})
        return f"{reverse('admin:auditlog_logentry_changelist')}?{query}"

    @admin.action(description="Duplicate for next year", permissions=["add"])
    def duplicate_for_next_year(self, request, queryset):
        events = list(queryset[:2])
        if len(events) != 1:
            self.message_user(request, "Select exactly one event to duplicate.", messages.WARNING)
            return None
        event = events[0]
        if "apply" in request.POST:
            form = DuplicateEventForm(request.POST)
            if form.is_valid():
                copy = services.duplicate_event(
                    event=event, new_start_date=form.cleaned_data["new_start_date"], actor=request.user
                )
                self.log_addition(request, copy, f"Duplicated from {event.slug}.")
                self.message_user(
                    request, f"Created “{copy}” from “{event}”. It is unpublished: check it, then publish it."
                )
                return redirect("admin:program_event_change", copy.pk)
        else:
            form = DuplicateEventForm(initial={"new_start_date": services.default_duplicate_start(event)})
        context = {
            **self.admin_site.each_context(request),
            "title": f"Duplicate “{event}”",
            "opts": self.model._meta,
            "event": event,
            "form": form,
            "adminform": helpers.AdminForm(form, [(None, {"fields": list(form.fields)})], {}),
            "media": self.media + form.media,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action_name": "duplicate_for_next_year",
        }
        return TemplateResponse(request, "admin/program/event/duplicate_event.html", context)


@admin.register(Person)
class PersonAdmin(SpreadsheetAdmin):
    resource_classes = [PersonResource]
    list_display = ["name", "affiliation", "email"]
    search_fields = ["name", "affiliation", "email"]


@admin.register(EventRole)
class EventRoleAdmin(SpreadsheetAdmin):
    resource_classes = [EventRoleResource]
    import_also_needs = ("program.add_person",)
    list_display = ["person_name", "role", "heading", "title", "shown_affiliation", "event", "order"]
    list_filter = ["event", "role"]
    list_select_related = ["event", "person"]
    search_fields = ["person__name", "person__affiliation", "affiliation", "group_name", "title"]
    autocomplete_fields = ["event", "person"]
    ordering = ["-event__start_date", "role", "order", "person__name"]

    @admin.display(description="person", ordering="person__name")
    def person_name(self, role: EventRole) -> str:
        return role.person.name

    @admin.display(description="heading")
    def heading(self, role: EventRole) -> str:
        return role.heading

    @admin.display(description="affiliation")
    def shown_affiliation(self, role: EventRole) -> str:
        return role.shown_affiliation


# --- Agenda --------------------------------------------------------------------------------------


class SessionPersonInline(admin.TabularInline):
    model = SessionPerson
    fields = ["person", "part", "order"]
    autocomplete_fields = ["person"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person")


class TalkInline(admin.TabularInline):
    """Talks of a session; their speakers are edited on each talk's own page (Django has no nested inlines)."""

    model = Talk
    fields = ["order", "title", "start", "end", "speaker_list"]
    readonly_fields = ["speaker_list"]
    show_change_link = True
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("speaker_links__person")

    @admin.display(description="speakers")
    def speaker_list(self, talk: Talk) -> str:
        if not talk.pk:
            return "Save, then add speakers on the talk's page."
        return talk.speaker_names or "— (add them on the talk's page)"


@admin.register(Session)
class SessionAdmin(EventTimezoneMixin, SpreadsheetAdmin):
    resource_classes = [SessionResource]
    list_display = ["title", "event", "kind", "local_start", "room", "is_streamed", "is_recorded"]
    list_filter = ["event", "kind", "is_streamed", "is_recorded"]
    list_select_related = ["event"]
    search_fields = ["title", "description", "room", "event__name"]
    autocomplete_fields = ["event"]
    date_hierarchy = "start"
    ordering = ["-event__start_date", "start", "end"]
    inlines = [SessionPersonInline, TalkInline]
    zoned_fields = ("start", "end")
    fields = [
        "event",
        "title",
        "kind",
        "start",
        "end",
        "room",
        "description",
        "is_streamed",
        "is_recorded",
        "stream_url",
    ]

    def event_zone(self, request, object_id):
        event_id = _pk(request.POST.get("event"))
        if event_id:
            return Event.objects.filter(pk=event_id).values_list("timezone", flat=True).first()
        if _pk(object_id):
            return Session.objects.filter(pk=object_id).values_list("event__timezone", flat=True).first()
        event_id = _pk(request.GET.get("event"))
        if event_id:
            return Event.objects.filter(pk=event_id).values_list("timezone", flat=True).first()
        return None

    @admin.display(description="starts (event's time)", ordering="start")
    def local_start(self, session: Session) -> str:
        return local_time(session.start, session.event.timezone)


class TalkSpeakerInline(admin.TabularInline):
    model = TalkSpeaker
    fields = ["person", "order"]
    autocomplete_fields = ["person"]
    extra = 1

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person")


@admin.register(Talk)
class TalkAdmin(EventTimezoneMixin, SpreadsheetAdmin):
    resource_classes = [TalkResource]
    import_also_needs = ("program.add_person", "program.add_talkspeaker", "program.delete_talkspeaker")
    list_display = ["title", "session", "event", "speaker_list", "local_start", "order"]
    list_filter = ["session__event"]
    list_select_related = ["session__event"]
    search_fields = ["title", "session__title", "speakers__name"]
    autocomplete_fields = ["session"]
    inlines = [TalkSpeakerInline]
    zoned_fields = ("start", "end")
    fields = ["session", "title", "abstract", "start", "end", "order"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("speaker_links__person")

    def event_zone(self, request, object_id):
        session_id = _pk(request.POST.get("session"))
        if session_id:
            return Session.objects.filter(pk=session_id).values_list("event__timezone", flat=True).first()
        if _pk(object_id):
            return Talk.objects.filter(pk=object_id).values_list("session__event__timezone", flat=True).first()
        session_id = _pk(request.GET.get("session"))
        if session_id:
            return Session.objects.filter(pk=session_id).values_list("event__timezone", flat=True).first()
        return None

    @admin.display(description="event", ordering="session__event__start_date")
    def event(self, talk: Talk) -> Event:
        return talk.session.event

    @admin.display(description="speakers")
    def speaker_list(self, talk: Talk) -> str:
        return talk.speaker_names

    @admin.display(description="starts (event's time)", ordering="start")
    def local_start(self, talk: Talk) -> str:
        return local_time(talk.start, talk.session.event.timezone) if talk.start else "—"


# --- Recordings ----------------------------------------------------------------------------------


class RecordingAdminForm(forms.ModelForm):
    class Meta:
        model = Recording
        fields = [
            "session",
            "talk",
            "title",
            "video_url",
            "duration_minutes",
            "consent_given",
            "consent_note",
            "is_published",
        ]

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("consent_given") and not self.instance.consent_recorded_at:
            # Consent ticked in this same submission: save_model records it (who, when) through the
            # service before it publishes, so the publishing check in Recording.clean may count on it.
            self.instance.consent_recorded_at = timezone.now()
        return cleaned_data


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
    form = RecordingAdminForm
    list_display = ["display_title", "session", "event", "consent_given", "is_published", "published_at"]
    list_filter = ["is_published", "consent_given", "session__event"]
    list_select_related = ["session__event", "talk"]
    search_fields = ["title", "session__title", "talk__title"]
    autocomplete_fields = ["session", "talk"]
    readonly_fields = ["consent_recorded_by", "consent_recorded_at", "publishing", "published_at"]
    actions = ["publish_selected", "unpublish_selected"]
    fieldsets = [
        (None, {"fields": ["session", "talk", "title", "video_url", "duration_minutes"]}),
        (
            "Speaker consent",
            {"fields": ["consent_given", "consent_note", "consent_recorded_by", "consent_recorded_at"]},
        ),
        ("Publishing", {"fields": ["publishing", "is_published", "published_at"]}),
    ]

    @admin.display(description="title", ordering="title")
    def display_title(self, recording: Recording) -> str:
        return recording.display_title

    @admin.display(description="event", ordering="session__event__start_date")
    def event(self, recording: Recording) -> Event:
        return recording.session.event

    @admin.display(description="publishing")
    def publishing(self, recording: Recording) -> str:
        """Whether it may be published, with the consent on record beside the switch."""
        if not recording.pk:
            return "Not until the speakers' consent is recorded."
        if blocker := recording.publish_blocker:
            return f"Not yet: {blocker}"
        recorded_at = timezone.localtime(recording.consent_recorded_at)
        consent = f"speakers' consent recorded {recorded_at:%Y-%m-%d %H:%M}"
        if recording.consent_recorded_by:
            consent += f" by {recording.consent_recorded_by}"
        if recording.consent_note:
            consent += f" ({recording.consent_note})"
        return f"{'Published' if recording.is_published else 'May be published'}: {consent}."

    def save_model(self, request, obj, form, change):
        # Consent and publishing belong to the services (who, when, the consent rule): save the rest
        # as it was, then make each requested change through its service.
        wants_consent, wants_published = obj.consent_given, obj.is_published
        obj.consent_given = bool(form.initial.get("consent_given")) if change else False
        obj.is_published = bool(form.initial.get("is_published")) if change else False
        if not obj.consent_given:
            obj.consent_recorded_at = None
        super().save_model(request, obj, form, change)
        if wants_consent and not obj.consent_given:
            services.record_consent(recording=obj, actor=request.user, note=obj.consent_note)
        elif obj.consent_given and not wants_consent:
            services.withdraw_consent(recording=obj, actor=request.user)
        if wants_published and not obj.is_published:
            services.publish_recording(recording=obj, actor=request.user)
        elif obj.is_published and not wants_published:
            services.unpublish_recording(recording=obj, actor=request.user)

    @admin.action(description="Publish selected recordings", permissions=["change"])
    def publish_selected(self, request, queryset):
        published = 0
        for recording in queryset.select_related("session", "talk"):
            try:
                services.publish_recording(recording=recording, actor=request.user)
            except services.PublishRefused as refused:
                self.message_user(request, f"Not published: “{recording}”. {refused.reason}", messages.WARNING)
            else:
                published += 1
                self.log_change(request, recording, "Published.")
        if published:
            self.message_user(request, f"{published} recording(s) published.", messages.SUCCESS)

    @admin.action(description="Unpublish selected recordings", permissions=["change"])
    def unpublish_selected(self, request, queryset):
        recordings = list(queryset.select_related("session", "talk"))
        for recording in recordings:
            services.unpublish_recording(recording=recording, actor=request.user)
            self.log_change(request, recording, "Unpublished.")
        self.message_user(request, f"{len(recordings)} recording(s) unpublished.", messages.SUCCESS)
