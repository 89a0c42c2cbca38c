from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0006_grounded_on"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="finish_reason",
            field=models.CharField(blank=True, default="", max_length=16),
        ),
    ]
