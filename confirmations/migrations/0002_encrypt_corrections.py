"""What an enterprise corrected in a yearly confirmation (old and new mobile, e-mail…), and its
history, stored encrypted (issue 14 §2); existing values are encrypted in place."""

import cqo_registry.encryption
from django.db import migrations

TABLES = [('confirmations_confirmation', 'id', ['corrections']), ('confirmations_historicalconfirmation', 'history_id', ['corrections'])]


class Migration(migrations.Migration):

    dependencies = [
        ('confirmations', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='confirmation',
            name='corrections',
            field=cqo_registry.encryption.EncryptedJSONField(blank=True, default=dict, verbose_name='更正内容'),
        ),
        migrations.AlterField(
            model_name='historicalconfirmation',
            name='corrections',
            field=cqo_registry.encryption.EncryptedJSONField(blank=True, default=dict, verbose_name='更正内容'),
        ),
        # Forwards encrypts the existing values in place, backwards decrypts them.
        cqo_registry.encryption.encrypt_tables(TABLES),
    ]
