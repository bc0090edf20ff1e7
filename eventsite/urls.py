from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from . import health
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
    # Pages name their icon; a browser showing a PDF or a calendar file, and feed readers, ask here instead.
    # Not permanent: the icon's address changes with its content once static files are hashed.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("img/favicon.svg"))),
]
