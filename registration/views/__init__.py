"""Registration views, by feature: attendee self-service, organizers' pages, badges, check-in."""
