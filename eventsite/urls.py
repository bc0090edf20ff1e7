from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Workshop administration"
admin.site.site_title = "Workshop admin"
admin.site.index_title = "Events, roster, agenda and attendees"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("registration.urls")),
    path("", include("program.urls")),
]
