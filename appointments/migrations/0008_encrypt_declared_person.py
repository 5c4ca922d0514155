"""What an enterprise typed about its CQO on a filing (declared_person: name, mobile, e-mail…),
and its history, stored encrypted (issue 14 §2, cqo_registry.encryption.EncryptedJSONField):
the JSON column becomes text and every existing value is encrypted in place."""

import cqo_registry.encryption
from django.db import migrations

TABLES = [('appointments_filing', 'id', ['declared_person']), ('appointments_historicalfiling', 'history_id', ['declared_person'])]


class Migration(migrations.Migration):

    dependencies = [
        ('appointments', '0007_risk_feed'),
    ]

    operations = [
        migrations.AlterField(
            model_name='filing',
            name='declared_person',
            field=cqo_registry.encryption.EncryptedJSONField(blank=True, default=dict, verbose_name='企业填报的人员信息'),
        ),
        migrations.AlterField(
            model_name='historicalfiling',
            name='declared_person',
            field=cqo_registry.encryption.EncryptedJSONField(blank=True, default=dict, verbose_name='企业填报的人员信息'),
        ),
        # Forwards encrypts the existing values in place, backwards decrypts them.
        cqo_registry.encryption.encrypt_tables(TABLES),
    ]
