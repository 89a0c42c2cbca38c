import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0007_conversation_channel"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="notice_kind",
            field=models.CharField(blank=True, default="", max_length=16),
        ),
        migrations.AlterField(
            model_name="message",
            name="event",
            field=models.CharField(
                blank=True,
                choices=[
                    ("escalated", "Escalated"),
                    ("takeover", "Takeover"),
                    ("hand_back", "Hand Back"),
                    ("closed", "Closed"),
                    ("note", "Note"),
                    ("notice", "Notice"),
                ],
                default="",
                max_length=16,
            ),
        ),
        migrations.CreateModel(
            name="Csat",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "trigger",
                    models.CharField(
                        choices=[("closed", "Closed by staff"), ("idle", "Idle")], max_length=8
                    ),
                ),
                ("requested_at", models.DateTimeField(db_index=True)),
                (
                    "rating",
                    models.PositiveSmallIntegerField(
                        blank=True,
                        null=True,
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(5),
                        ],
                    ),
                ),
                ("comment", models.TextField(blank=True, default="")),
                ("rated_at", models.DateTimeField(blank=True, db_index=True, null=True)),
                (
                    "conversation",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="csat",
                        to="conversations.conversation",
                    ),
                ),
            ],
            options={
                "verbose_name": "CSAT rating",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("rating__isnull", True),
                            models.Q(("rating__gte", 1), ("rating__lte", 5)),
                            _connector="OR",
                        ),
                        name="csat_rating_in_range",
                    )
                ],
            },
        ),
    ]
