from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('conversations', '0006_grounded_on'),
    ]

    operations = [
        migrations.AddField(
            model_name='conversation',
            name='channel',
            field=models.CharField(choices=[('widget', 'Widget'), ('api', 'Api')], default='widget', max_length=16),
        ),
    ]
