# The new inbox index is built before the old one goes, so the inbox is served throughout.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('notify', '0005_message_fewer_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='message',
            index=models.Index(condition=models.Q(('user__isnull', False)), fields=['user', 'channel', 'read_at'], name='notify_user_inbox'),
        ),
        migrations.RemoveIndex(
            model_name='message',
            name='notify_inbox',
        ),
        migrations.RemoveIndex(
            model_name='message',
            name='notify_kind',
        ),
        migrations.RemoveIndex(
            model_name='message',
            name='notify_ref_code',
        ),
    ]
