"""Sessions get the kinds a scientific meeting has: "welcome" becomes opening or closing.

Before this, a closing session could only be entered as "welcome" and was shown as one. A "welcome"
session whose title says it closes the meeting becomes closing; every other becomes opening.
"""

from django.db import migrations, models

# Titles of a meeting's last block, as organizers write them; matched in any case.
CLOSING_TITLE = r"closing|concluding|conclusion|wrap-up|wrap up|wrapping up|farewell|adjourn|final remarks|goodbye"


def forwards(apps, schema_editor):
    Session = apps.get_model("program", "Session")
    Session.objects.filter(kind="welcome", title__iregex=CLOSING_TITLE).update(kind="closing")
    Session.objects.filter(kind="welcome").update(kind="opening")


def backwards(apps, schema_editor):
    # The old kinds had no closing and no other: both fold into what they were entered as before.
    Session = apps.get_model("program", "Session")
    Session.objects.filter(kind__in=["opening", "closing"]).update(kind="welcome")
    Session.objects.filter(kind="other").update(kind="talks")


class Migration(migrations.Migration):
    dependencies = [
        ("program", "0002_event_retention"),
    ]

    operations = [
        migrations.AlterField(
            model_name="session",
            name="kind",
            field=models.CharField(
                choices=[
                    ("opening", "Opening"),
                    ("closing", "Closing"),
                    ("keynote", "Keynote"),
                    ("talks", "Talk session"),
                    ("panel", "Panel"),
                    ("posters", "Posters"),
                    ("discussion", "Discussion"),
                    ("break", "Break"),
                    ("meal", "Meal"),
                    ("other", "Other"),
                ],
                default="talks",
                max_length=16,
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
