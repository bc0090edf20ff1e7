"""The site's icon: named by every page, the admin's too, and found at /favicon.ico by clients that only look there."""

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

ICON = "/static/img/favicon.svg"


def test_favicon_ico_leads_to_the_sites_icon(client):
    response = client.get("/favicon.ico")

    assert (response.status_code, response["Location"]) == (302, ICON)
    assert finders.find("img/favicon.svg")


@pytest.mark.django_db
@pytest.mark.parametrize(("url_name", "logged_in"), [("admin:login", False), ("admin:index", True)])
def test_admin_pages_name_the_sites_icon(client, staff, url_name, logged_in):
    if logged_in:
        client.force_login(staff)

    response = client.get(reverse(url_name))

    assert f'<link rel="icon" href="{ICON}" type="image/svg+xml">' in response.content.decode()
