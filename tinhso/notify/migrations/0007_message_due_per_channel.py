# The worker's claim reads one channel at a time through that channel's partial index, so a channel
# it does not deliver (e-mail before TINHSO_EMAIL_URL is set) is never read. The new indexes are built
# before the old one goes, so the worker is served throughout.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('notify', '0006_message_indexes_where_used'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='message',
            index=models.Index(condition=models.Q(('channel', 'email'), ('state', 'pending')), fields=['next_attempt_at', 'id'], name='notify_due_email'),
        ),
        migrations.AddIndex(
            model_name='message',
            index=models.Index(condition=models.Q(('channel', 'webhook'), ('state', 'pending')), fields=['next_attempt_at', 'id'], name='notify_due_webhook'),
        ),
        migrations.RemoveIndex(
            model_name='message',
            name='notify_due',
        ),
    ]
