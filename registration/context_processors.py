"""What the event pages' header needs to know about the signed-in person's registrations."""

from django.utils.functional import SimpleLazyObject

from .models import Registration


def registered_events(request):
    """The ids of the events the signed-in person has a registration for (cancelled ones too), read only if the
    page asks: the header shows "My registration" for those and "Register" elsewhere. Pages kept whole for
    visitors without a cookie are built with no one signed in, so they never carry it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"registered_event_ids": frozenset()}
    return {
        "registered_event_ids": SimpleLazyObject(
            lambda: frozenset(Registration.objects.filter(user=user).values_list("event_id", flat=True))
        )
    }
