"""Building the attendee's emails: plain text, HTML and the calendar invite, from fresh state."""

from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from program.calendars import uid_domain

from . import invites, selectors
from .models import Mode, Notification, Registration

# Notices that carry the registration's invite; a reminder repeats it, so it is still in the attendee's hands.
INVITE_KINDS = {
    Notification.Kind.CONFIRMATION,
    Notification.Kind.WAITLISTED,
    Notification.Kind.PROMOTED,
    Notification.Kind.MODE_CHANGED,
    Notification.Kind.CANCELLED,
    Notification.Kind.AGENDA_CHANGED,
    Notification.Kind.REMINDER,
}


class InviteEmail(EmailMultiAlternatives):
    """An email whose text/calendar alternative says its iTIP method, as RFC 6047 section 2.4 asks."""

    def __init__(self, *args, calendar_method: str = "REQUEST", **kwargs):
        self.calendar_method = calendar_method
        super().__init__(*args, **kwargs)

    def _create_mime_attachment(self, content, mimetype):
        if mimetype == "text/calendar":
            part = MIMEText(content, "calendar", "utf-8")
            part.set_param("method", self.calendar_method)
            return part
        return super()._create_mime_attachment(content, mimetype)


def _url(path: str) -> str:
    return settings.SITE_URL + path


def email_context(registration: Registration, kind: str) -> dict:
    event = registration.event
    slug = {"slug": event.slug}
    in_person = registration.mode == Mode.IN_PERSON and registration.is_confirmed
    return {
        "kind": kind,
        "registration": registration,
        "event": event,
        "site_name": settings.SITE_NAME,
        "event_url": _url(event.get_absolute_url()),
        "agenda_url": _url(reverse("program:agenda", kwargs=slug)),
        "my_url": _url(reverse("registration:my-registration", kwargs=slug)),
        "badge_url": _url(reverse("registration:badge-download", kwargs=slug)) if in_person else "",
        "join_url": invites.join_url(registration),
        "position": selectors.waitlist_position(registration),
        "days": invites.event_days(event),
    }


def build_email(notification: Notification) -> EmailMultiAlternatives:
    """The email for a notice, with the invite as RFC 6047 wants it: a text/calendar part and an .ics file."""
    registration = notification.registration
    kind = notification.kind
    context = email_context(registration, kind)
    subject = " ".join(render_to_string(f"emails/{kind}_subject.txt", context).split())
    text = render_to_string(f"emails/{kind}.txt", context)
    html = render_to_string(f"emails/{kind}.html", context)
    method = "CANCEL" if not registration.is_live else "REQUEST"
    contact = registration.event.contact_email
    message = InviteEmail(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[registration.user.email],
        reply_to=settings.EMAIL_REPLY_TO or ([contact] if contact else None),
        headers={"Message-ID": f"<notification-{notification.pk}@{uid_domain()}>"},
        calendar_method=method,
    )
    message.attach_alternative(html, "text/html")
    if kind in INVITE_KINDS:
        calendar = invites.invite_calendar(registration, days=context["days"])
        message.attach_alternative(calendar.decode(), "text/calendar")
        message.attach("invite.ics", calendar, "application/ics")
    return message
