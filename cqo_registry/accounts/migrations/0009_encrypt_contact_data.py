"""Users' mobiles, and those of the user history, stored encrypted (issue 14 §2); existing
values are encrypted in place."""

import cqo_registry.encryption
from django.db import migrations

TABLES = [('accounts_user', 'id', ['mobile']), ('accounts_historicaluser', 'history_id', ['mobile'])]


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0008_reminder_notification_kinds'),
    ]

    operations = [
        migrations.AlterField(
            model_name='historicaluser',
            name='mobile',
            field=cqo_registry.encryption.EncryptedCharField(blank=True, max_length=11, verbose_name='手机'),
        ),
        migrations.AlterField(
            model_name='user',
            name='mobile',
            field=cqo_registry.encryption.EncryptedCharField(blank=True, max_length=11, verbose_name='手机'),
        ),
        # Forwards encrypts the existing values in place, backwards decrypts them.
        cqo_registry.encryption.encrypt_tables(TABLES),
    ]
