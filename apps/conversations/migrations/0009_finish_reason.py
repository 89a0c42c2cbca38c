from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0008_csat"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="finish_reason",
            field=models.CharField(blank=True, default="", max_length=16),
        ),
    ]
