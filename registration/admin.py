"""Organizer admin for registrations: filters, CSV export, and actions that go through the services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from import_export.formats.base_formats import CSV

from program.admin import EventAdmin as ProgramEventAdmin
from program.models import Event

from . import selectors, services
from .models import Notification, Question, Registration
from .notifications import Kind, owe
from .resources import FullRegistrationResource, RegistrationResource
from .views.badges import build_badges_action


class CheckedInFilter(admin.SimpleListFilter):
    title = "checked in"
    parameter_name = "checked_in"

    def lookups(self, request, model_admin):
        return [("yes", "Checked in"), ("no", "Not checked in")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(checked_in_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(checked_in_at__isnull=True)
        return queryset


# What each export link offers, by its `contents`: the roster is what most organizer tasks need; "full"
# adds needs, consent and the event's own questions, for catering, access and recording planning.
EXPORTS = {
    "roster": ("names, affiliations, mode and status", RegistrationResource),
    "full": ("the roster plus needs, consent and the event's own questions", FullRegistrationResource),
}


class CapacityForm(forms.Form):
    in_person_capacity = forms.IntegerField(min_value=0, label="In-person capacity")
    virtual_capacity = forms.IntegerField(
        min_value=0, required=False, label="Virtual capacity", help_text="Leave blank for no limit."
    )


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    # What an organizer looks for first comes first, so at laptop widths the status is never the column
    # pushed behind the filters; the event is named by its short slug, and its column goes when the list is
    # filtered to one event.
    list_display = [
        "badge_name",
        "status_with_position",
        "mode",
        "checked_in",
        "affiliation",
        "email",
        "event_address",
        "registered_on",
    ]
    list_filter = ["event", "mode", "status", CheckedInFilter, "career_stage", "virtual_meanwhile"]
    search_fields = ["badge_name", "user__email", "affiliation"]
    list_select_related = ["event", "user"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    actions = [
        "cancel_selected",
        "promote_selected",
        "promote_raising_capacity",
        "resend_confirmation",
        "export_selected_csv",
        build_badges_action,
    ]
    readonly_fields = [
        "event",
        "user",
        "mode",
        "status",
        "virtual_meanwhile",
        "waitlisted_at",
        "career_stage",
        "consent_recording",
        "consent_recording_at",
        "consent_wording_version",
        "code_of_conduct_accepted_at",
        "code_of_conduct_version",
        "extra_answers",
        "checked_in_at",
        "invite_sequence",
        "created_at",
        "updated_at",
        "confirmed_at",
        "cancelled_at",
        "answers_erased_at",
    ]
    fieldsets = [
        (None, {"fields": ["event", "user", "mode", "status", "virtual_meanwhile", "waitlisted_at"]}),
        (
            "Answers",
            {
                "fields": [
                    "badge_name",
                    "affiliation",
                    "career_stage",
                    "pronouns",
                    "dietary_needs",
                    "accessibility_needs",
                    "extra_answers",
                ]
            },
        ),
        (
            "Consent",
            {
                "fields": [
                    "consent_recording",
                    "consent_recording_at",
                    "consent_wording_version",
                    "code_of_conduct_accepted_at",
                    "code_of_conduct_version",
                ]
            },
        ),
        (
            "History",
            {
                "fields": [
                    "created_at",
                    "confirmed_at",
                    "cancelled_at",
                    "checked_in_at",
                    "updated_at",
                    "invite_sequence",
                    "answers_erased_at",
                ]
            },
        ),
    ]

    def has_add_permission(self, request):
        # People register themselves, so their consent and code-of-conduct agreement are their own.
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting would free a seat without promoting anyone: cancel instead.
        return False

    def get_list_display(self, request):
        if "event__id__exact" in request.GET:
            return [name for name in self.list_display if name != "event_address"]
        return self.list_display

    @admin.display(description="Event", ordering="event__start_date")
    def event_address(self, registration: Registration) -> str:
        """The event's slug, short and unique, with its name and dates on hover."""
        return format_html('<span title="{}">{}</span>', registration.event, registration.event.slug)

    @admin.display(description="Registered", ordering="created_at")
    def registered_on(self, registration: Registration) -> str:
        return f"{timezone.localtime(registration.created_at):%Y-%m-%d}"

    @admin.display(description="Email", ordering="user__email")
    def email(self, registration: Registration) -> str:
        return registration.user.email if registration.user else "(account deleted)"

    def get_queryset(self, request):
        return selectors.with_waitlist_positions(super().get_queryset(request))

    @admin.display(description="Status", ordering="status")
    def status_with_position(self, registration: Registration) -> str:
        if registration.is_waitlisted:
            return f"{registration.status_label} (#{registration.waitlist_place})"
        return registration.get_status_display()

    @admin.display(description="Checked in", boolean=True, ordering="checked_in_at")
    def checked_in(self, registration: Registration) -> bool:
        return registration.checked_in_at is not None

    def get_urls(self):
        return [
            path("export/", self.admin_site.admin_view(self.export_filtered_csv), name="registration_export"),
            path(
                "capacity/<int:event_id>/", self.admin_site.admin_view(self.capacity_view), name="registration_capacity"
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "export_url": reverse("admin:registration_export"),
            "exports": [(key, description) for key, (description, _) in EXPORTS.items()],
        }
        return super().changelist_view(request, extra_context)

    def export_filtered_csv(self, request):
        """The changelist's current filter and search as a CSV."""
        if not self.has_view_permission(request):
            return HttpResponse("You may not export registrations.", status=403)
        contents = request.GET.get("contents", "roster")
        if contents not in EXPORTS:
            return HttpResponseBadRequest(f"Unknown export {contents!r}: choose one of {', '.join(EXPORTS)}.")
        # The rest of the query is the changelist's own filter and search.
        request.GET = request.GET.copy()
        request.GET.pop("contents", None)
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest("The filter in this link is not valid; open the list and filter again.")
        return self._export_csv(request, changelist.get_queryset(request), contents)

    def _export_csv(self, request, queryset, contents: str) -> HttpResponse:
        """One of the EXPORTS, as 'registrations-<event slug or all-events>-<contents>-<date>.csv'."""
        _, resource_class = EXPORTS[contents]
        dataset = resource_class().export(queryset)
        event = Event.objects.filter(pk=request.GET.get("event__id__exact")).first()
        scope = event.slug if event else "all-events"
        filename = f"registrations-{scope}-{contents}-{timezone.localdate():%Y-%m-%d}.csv"
        # The byte-order mark makes spreadsheet programs read UTF-8 names correctly.
        response = HttpResponse("\ufeff" + CSV().export_data(dataset), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def capacity_view(self, request, event_id):
        event = get_object_or_404(Event, pk=event_id)
        if not self.has_change_permission(request):
            return HttpResponse("You may not change capacities.", status=403)
        form = CapacityForm(
            request.POST if request.method == "POST" else None,
            initial={
                "in_person_capacity": event.in_person_capacity,
                "virtual_capacity": event.virtual_capacity,
            },
        )
        if request.method == "POST" and form.is_valid():
            promoted = services.set_capacity(event=event, **form.cleaned_data)
            self._report_promotions(request, promoted)
            return redirect(reverse("registration:dashboard", kwargs={"slug": event.slug}))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Capacity of {event}",
            "form": form,
            "adminform": helpers.AdminForm(form, [(None, {"fields": list(form.fields)})], {}),
            "event": event,
            "opts": self.model._meta,
        }
        return render(request, "admin/registration/capacity.html", context)

    def _report_promotions(self, request, promoted):
        if promoted:
            names = ", ".join(r.badge_name for r in promoted)
            self.message_user(request, f"Capacity saved. Promoted from the waitlist: {names}.", messages.SUCCESS)
        else:
            self.message_user(request, "Capacity saved.", messages.SUCCESS)

    @admin.action(description="Cancel selected registrations (frees their seats)")
    def cancel_selected(self, request, queryset):
        live = [r for r in queryset if r.is_live]
        for registration in live:
            services.cancel(registration=registration)
        self.message_user(request, f"Cancelled {len(live)} registration{'s' if len(live) != 1 else ''}.")

    @admin.action(description="Promote selected from the waitlist (into free seats)")
    def promote_selected(self, request, queryset):
        self._promote(request, queryset, raise_capacity=False)

    @admin.action(description="Promote selected from the waitlist, raising the capacity to fit")
    def promote_raising_capacity(self, request, queryset):
        self._promote(request, queryset, raise_capacity=True)

    def _promote(self, request, queryset, *, raise_capacity: bool):
        promoted = []
        for registration in queryset.order_by("waitlisted_at"):
            try:
                promoted.append(services.promote(registration=registration, raise_capacity=raise_capacity))
            except services.RegistrationError as error:
                self.message_user(request, str(error), messages.WARNING)
        if promoted:
            self.message_user(request, f"Promoted: {', '.join(r.badge_name for r in promoted)}.", messages.SUCCESS)

    @admin.action(description="Resend the confirmation email")
    def resend_confirmation(self, request, queryset):
        live = [r for r in queryset.select_related("user") if r.is_live and r.user_id]
        for registration in live:
            owe(registration, Kind.CONFIRMATION if registration.is_confirmed else Kind.WAITLISTED)
        self.message_user(request, f"Queued {len(live)} email{'s' if len(live) != 1 else ''} to resend.")

    @admin.action(description="Export selected as CSV (roster, needs and consent)")
    def export_selected_csv(self, request, queryset):
        return self._export_csv(request, queryset, "full")


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["label", "event", "kind", "required", "in_person_only", "order"]
    list_filter = ["event", "kind", "required"]
    search_fields = ["label"]
    list_select_related = ["event"]
    autocomplete_fields = ["event"]


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0
    fields = [("label", "kind", "required", "in_person_only", "order"), "help_text", "choices"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["kind", "registration", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter)]
    list_select_related = ["registration__event"]
    readonly_fields = ["registration", "kind", "created_at", "sent_at", "attempts", "last_error"]

    def has_add_permission(self, request):
        return False


admin.site.unregister(Event)


@admin.register(Event)
class EventAdmin(ProgramEventAdmin):
    """The program's event admin, plus registration questions and capacity changes that promote."""

    inlines = [*ProgramEventAdmin.inlines, QuestionInline]
    list_display = [*ProgramEventAdmin.list_display, "registration_links"]
    readonly_fields = [*ProgramEventAdmin.readonly_fields, "registration_links", "personal_data_erasure"]
    fieldsets = [
        *ProgramEventAdmin.fieldsets,
        ("Registrations", {"fields": ["registration_links", "retention_days", "personal_data_erasure"]}),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"in_person_capacity", "virtual_capacity"} & set(form.changed_data):
            self._promote_into_new_seats(request, obj)

    def _promote_into_new_seats(self, request, event):
        promoted = services.fill_free_seats(event=event)
        if promoted:
            names = ", ".join(r.badge_name for r in promoted)
            self.message_user(request, f"Promoted from the waitlist into the new seats: {names}.")

    @admin.display(description="Personal answers")
    def personal_data_erasure(self, event: Event) -> str:
        if not event.pk:
            return "Erased automatically once the retention period after the event has passed."
        day = event.erase_personal_data_on
        if day <= timezone.localdate():
            return f"Erased on or after {day:%B} {day.day}, {day:%Y} (the retention period has passed)."
        return f"Will be erased on {day:%B} {day.day}, {day:%Y}; counts by mode and status are kept."

    @admin.display(description="Registrations")
    def registration_links(self, event: Event) -> str:
        if not event.pk:
            return "—"
        return format_html(
            '<a href="{}">Dashboard</a> · <a href="{}?event__id__exact={}">Registrations</a> · '
            '<a href="{}">Change capacity</a>',
            reverse("registration:dashboard", kwargs={"slug": event.slug}),
            reverse("admin:registration_registration_changelist"),
            event.pk,
            reverse("admin:registration_capacity", args=[event.pk]),
        )
