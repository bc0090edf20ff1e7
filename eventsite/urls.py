from django.contrib import admin
from django.urls import include, path

from .forms import AdminLoginForm

admin.site.site_header = "Workshop administration"
admin.site.site_title = "Workshop admin"
admin.site.index_title = "Events, roster, agenda and attendees"
admin.site.login_form = AdminLoginForm

# The public pages first: they are most of the requests, and Django tries the patterns in order.
urlpatterns = [
    path("", include("program.urls")),
    path("", include("registration.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
]
