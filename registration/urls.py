from django.urls import path

from .views import attendee, badges, calendars, checkin, organizers

app_name = "registration"

urlpatterns = [
    path("events/<slug:slug>/register/", attendee.register, name="register"),
    path("events/<slug:slug>/my/", attendee.my_registration, name="my-registration"),
    path("events/<slug:slug>/my/mode/", attendee.change_mode, name="change-mode"),
    path("events/<slug:slug>/my/edit/", attendee.edit_answers, name="edit-answers"),
    path("events/<slug:slug>/my/cancel/", attendee.cancel, name="cancel"),
    path("events/<slug:slug>/my/feed/reset/", calendars.reset_feed, name="feed-reset"),
    path("events/<slug:slug>/my/badge.pdf", badges.badge_download, name="badge-download"),
    path("events/<slug:slug>/my/certificate.pdf", badges.certificate_download, name="certificate-download"),
    path("events/<slug:slug>/feed/<str:token>.ics", calendars.personal_feed, name="personal-feed"),
    path("events/<slug:slug>/invite/<int:pk>-<slug:signature>.ics", calendars.invite, name="invite"),
    path("account/data.json", attendee.my_data, name="my-data"),
    path("account/delete/", attendee.delete_account, name="delete-account"),
    # Organizers.
    path("events/<slug:slug>/dashboard/", organizers.dashboard, name="dashboard"),
    path("events/<slug:slug>/dashboard/needs.csv", organizers.needs_csv, name="dashboard-needs"),
    path("events/<slug:slug>/checkin/", checkin.checkin, name="checkin"),
    path("events/<slug:slug>/checkin/undo/", checkin.checkin_undo, name="checkin-undo"),
    path("events/<slug:slug>/checkin/stats.json", checkin.checkin_stats, name="checkin-stats"),
    path(
        "events/<slug:slug>/registrations/<int:pk>/badge.pdf", badges.badge_download_staff, name="badge-download-staff"
    ),
    path("events/<slug:slug>/badges/", badges.badge_sheets, name="badge-sheets"),
    path("events/<slug:slug>/badges/<int:pk>/", badges.badge_sheet, name="badge-sheet"),
    path("events/<slug:slug>/badges/<int:pk>/retry/", badges.badge_sheet_retry, name="badge-sheet-retry"),
    path("events/<slug:slug>/badges/<int:pk>/download/", badges.badge_sheet_download, name="badge-sheet-download"),
]
