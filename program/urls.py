from django.urls import path

from . import views

app_name = "program"

urlpatterns = [
    path("", views.home, name="home"),
    path("events/", views.EventListView.as_view(), name="event-list"),
    path("events/<slug:slug>/", views.EventDetailView.as_view(), name="event-detail"),
    path("events/<slug:slug>/agenda/", views.AgendaView.as_view(), name="agenda"),
    path("events/<slug:slug>/agenda.ics", views.agenda_calendar, name="agenda-calendar"),
    path("events/<slug:slug>/sessions/<int:pk>/", views.SessionDetailView.as_view(), name="session-detail"),
    path("events/<slug:slug>/sessions/<int:pk>.ics", views.session_calendar, name="session-calendar"),
    path("events/<slug:slug>/speakers/", views.SpeakersView.as_view(), name="speakers"),
    path("events/<slug:slug>/committee/", views.CommitteeView.as_view(), name="committee"),
    path("events/<slug:slug>/recordings/", views.RecordingsView.as_view(), name="recordings"),
]
