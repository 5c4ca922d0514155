"""The contact mobile of enterprise registrations, and of their history, stored encrypted
(issue 14 §2); existing values are encrypted in place."""

import cqo_registry.encryption
import enterprises.validators
from django.db import migrations

TABLES = [('enterprises_enterpriseregistration', 'id', ['mobile']), ('enterprises_historicalenterpriseregistration', 'history_id', ['mobile'])]


class Migration(migrations.Migration):

    dependencies = [
        ('enterprises', '0011_encrypt_personal_data'),
    ]

    operations = [
        migrations.AlterField(
            model_name='enterpriseregistration',
            name='mobile',
            field=cqo_registry.encryption.EncryptedCharField(max_length=11, validators=[enterprises.validators.validate_mobile], verbose_name='手机'),
        ),
        migrations.AlterField(
            model_name='historicalenterpriseregistration',
            name='mobile',
            field=cqo_registry.encryption.EncryptedCharField(max_length=11, validators=[enterprises.validators.validate_mobile], verbose_name='手机'),
        ),
        # Forwards encrypts the existing values in place, backwards decrypts them.
        cqo_registry.encryption.encrypt_tables(TABLES),
    ]
