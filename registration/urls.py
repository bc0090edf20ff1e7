from django.urls import path

from . import views

app_name = "registration"

urlpatterns = [
    path("events/<slug:slug>/register/", views.register, name="register"),
    path("events/<slug:slug>/my/", views.my_registration, name="my-registration"),
    path("events/<slug:slug>/my/mode/", views.change_mode, name="change-mode"),
    path("events/<slug:slug>/my/edit/", views.edit_answers, name="edit-answers"),
    path("events/<slug:slug>/my/cancel/", views.cancel, name="cancel"),
    path("events/<slug:slug>/dashboard/", views.dashboard, name="dashboard"),
    path("account/data.json", views.my_data, name="my-data"),
    path("account/delete/", views.delete_account, name="delete-account"),
]
