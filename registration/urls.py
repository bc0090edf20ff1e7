from django.urls import path

from .views import attendee, organizers

app_name = "registration"

urlpatterns = [
    path("events/<slug:slug>/register/", attendee.register, name="register"),
    path("events/<slug:slug>/my/", attendee.my_registration, name="my-registration"),
    path("events/<slug:slug>/my/mode/", attendee.change_mode, name="change-mode"),
    path("events/<slug:slug>/my/edit/", attendee.edit_answers, name="edit-answers"),
    path("events/<slug:slug>/my/cancel/", attendee.cancel, name="cancel"),
    path("events/<slug:slug>/dashboard/", organizers.dashboard, name="dashboard"),
    path("account/data.json", attendee.my_data, name="my-data"),
    path("account/delete/", attendee.delete_account, name="delete-account"),
]
