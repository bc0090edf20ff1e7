"""What the admin's index shows of the organizer pages that live outside the admin."""

from django import template

from registration import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def event_desks(context) -> list[selectors.EventDesk]:
    return selectors.event_desks(user=context["request"].user)
