from django.core.management.base import BaseCommand

from program.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo workshop series (idempotent: running it again changes nothing)."

    def handle(self, *args, **options):
        for event in load_demo():
            self.stdout.write(f"  {event.slug}: {event.name}, {event.start_date:%Y-%m-%d}")
        self.stdout.write(self.style.SUCCESS("Demo workshops loaded."))
