import secrets

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create a local organizer account with a random password and print it once."

    def add_arguments(self, parser):
        parser.add_argument("--email", default="admin@example.org")

    def handle(self, *args, email, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write(
                "An organizer account already exists; its password was printed when it was made. "
                "To set a new one: .venv/bin/python manage.py changepassword <username>"
            )
            return
        password = secrets.token_urlsafe(12)
        user = User.objects.create_superuser(username="admin", email=email, password=password)
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
        self.stdout.write(self.style.SUCCESS("Created a local organizer account (shown only this once):"))
        self.stdout.write(f"  email:    {email}\n  username: admin\n  password: {password}")
