"""The commands `make run` runs: load_demo (idempotent) and create_local_admin (one organizer, password once)."""

import datetime as dt
import io
import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.forms.models import model_to_dict

from program.models import Event, EventRole, Person, Recording, Session, SessionPerson, Talk, TalkSpeaker

pytestmark = pytest.mark.django_db

DEMO_MODELS = [Event, Person, EventRole, Session, SessionPerson, Talk, TalkSpeaker, Recording]


def everything_loaded() -> dict[str, list[dict]]:
    """Every demo row, field by field, but for the times a save stamps."""
    return {
        model.__name__: [
            {name: value for name, value in model_to_dict(row).items() if name not in ("created_at", "updated_at")}
            for row in model.objects.order_by("pk")
        ]
        for model in DEMO_MODELS
    }


def test_load_demo_run_again_changes_nothing(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 28, 12, tzinfo=dt.UTC))
    call_command("load_demo", stdout=io.StringIO())
    first = everything_loaded()

    call_command("load_demo", stdout=io.StringIO())

    assert everything_loaded() == first
    assert set(Event.objects.values_list("slug", flat=True)) == {
        "brain-neuroai-2024",
        "nasem-neuroai-2024",
        "sfn-2024-ai-workshop",
        "neuroai-demo",
    }
    assert all(first.values())  # every kind of row is in the demo


def test_create_local_admin_makes_one_organizer_who_can_log_in_with_the_printed_password(client):
    out = io.StringIO()

    call_command("create_local_admin", stdout=out)

    password = re.search(r"password: (\S+)", out.getvalue())[1]
    (admin,) = get_user_model().objects.filter(is_superuser=True)
    assert (admin.username, admin.email, admin.is_staff) == ("admin", "admin@example.org", True)
    assert EmailAddress.objects.filter(user=admin, email="admin@example.org", verified=True, primary=True).exists()
    response = client.post("/admin/login/", {"username": "admin@example.org", "password": password})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_create_local_admin_run_again_keeps_the_one_organizer_and_prints_no_password():
    call_command("create_local_admin", stdout=io.StringIO())
    again = io.StringIO()

    call_command("create_local_admin", stdout=again)

    assert get_user_model().objects.filter(is_superuser=True).count() == 1
    assert "An organizer account already exists" in again.getvalue()
    assert "password:" not in again.getvalue()
