"""Badge tasks: build an organizer's sheet of badges as one PDF, reporting progress as it goes."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.base import ContentFile
from django.db.models.functions import Lower
from django.utils import timezone

from .. import badges
from ..models import BadgeSheet, Mode, Registration, Status

logger = logging.getLogger(__name__)


def sheet_registrations(sheet: BadgeSheet):
    """What the sheet prints, read fresh: its confirmed in-person registrations, by badge name."""
    registrations = Registration.objects.filter(event_id=sheet.event_id, status=Status.CONFIRMED, mode=Mode.IN_PERSON)
    if sheet.registration_ids:
        registrations = registrations.filter(pk__in=sheet.registration_ids)
    return registrations.select_related("event", "user").order_by(Lower("badge_name"), "pk")


# A sheet of a few thousand badges takes minutes; the project's default limits are for mail.
@shared_task(soft_time_limit=1200, time_limit=1260)
def build_badge_sheet(*, sheet_id: int) -> str:
    """Render the sheet's PDF and attach it; a done sheet is left as it is, so a second run does nothing."""
    sheet = BadgeSheet.objects.select_related("event").filter(pk=sheet_id).first()
    if sheet is None:
        logger.info("Badge sheet %s is gone; nothing to build.", sheet_id)
        return "gone"
    if sheet.state == BadgeSheet.State.DONE:
        return "already done"

    registrations = list(sheet_registrations(sheet))
    sheet.state, sheet.total, sheet.done, sheet.error = BadgeSheet.State.RUNNING, len(registrations), 0, ""
    sheet.save(update_fields=["state", "total", "done", "error"])

    def progress(done: int, total: int) -> None:
        sheet.done = done
        sheet.save(update_fields=["done"])

    try:
        pdf = badges.badge_sheet_pdf(registrations, sheet.paper, progress=progress, event=sheet.event)
    except SoftTimeLimitExceeded:
        return _fail(sheet, f"Building took too long after {sheet.done} of {sheet.total} badges. Try fewer at once.")
    except Exception as error:
        logger.exception("Badge sheet %s failed", sheet_id)
        return _fail(sheet, f"The PDF could not be built ({type(error).__name__}: {error}).")

    sheet.file.save(f"badges-{sheet.event.slug}-{sheet.pk}.pdf", ContentFile(pdf), save=False)
    sheet.done = sheet.total
    sheet.finished_at = timezone.now()
    sheet.state = BadgeSheet.State.DONE
    sheet.save(update_fields=["file", "done", "finished_at", "state"])
    logger.info("Badge sheet %s: %s badges, %s bytes", sheet_id, sheet.total, len(pdf))
    return "done"


def _fail(sheet: BadgeSheet, message: str) -> str:
    sheet.state = BadgeSheet.State.FAILED
    sheet.error = message[: BadgeSheet._meta.get_field("error").max_length]
    sheet.finished_at = timezone.now()
    sheet.save(update_fields=["state", "error", "finished_at"])
    return "failed"
