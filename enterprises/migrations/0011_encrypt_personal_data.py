"""ID numbers and mobiles of persons (and of their history) encrypted at rest, with a keyed
hash of the ID number for lookups and uniqueness (issue 14 §2, cqo_registry.encryption).

The columns become text (a token is ~100 characters), every existing row is encrypted in
place with the keys the settings give (CQO_DATA_KEYS, CQO_DATA_HMAC_KEY), then the hash is
made required. Going back decrypts them again."""

import cqo_registry.encryption
import enterprises.fields
import enterprises.validators
from django.db import migrations

BATCH = 2000
TABLES = [("enterprises_person", "id"), ("enterprises_historicalperson", "history_id")]


def _convert(schema_editor, change) -> None:
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    for table, key in TABLES:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote(key)}, id_number, mobile FROM {quote(table)} ORDER BY {quote(key)}"
            )
            rows = cursor.fetchall()
        for start in range(0, len(rows), BATCH):
            updates = [change(*row) for row in rows[start : start + BATCH]]
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {quote(table)} SET id_number = %s, mobile = %s, "
                    f"id_number_digest = %s WHERE {quote(key)} = %s",
                    updates,
                )


def encrypt_rows(apps, schema_editor):
    from cqo_registry.encryption import digest, encrypt

    def change(pk, id_number, mobile):
        number = (id_number or "").upper()
        return (encrypt(number), encrypt(mobile or ""), digest(number), pk)

    _convert(schema_editor, change)


def decrypt_rows(apps, schema_editor):
    from cqo_registry.encryption import decrypt

    _convert(schema_editor, lambda pk, token, mobile: (decrypt(token), decrypt(mobile), None, pk))


class Migration(migrations.Migration):

    dependencies = [
        ('enterprises', '0010_unique_messages'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='person',
            name='id_number_upper_case',
        ),
        migrations.AddField(
            model_name='historicalperson',
            name='id_number_digest',
            field=cqo_registry.encryption.DigestField(db_index=True, error_messages={'unique': '系统中已有这个身份证号的人员，请在已有人员上修改。'}, null=True, verbose_name='身份证号查找码'),
        ),
        migrations.AddField(
            model_name='person',
            name='id_number_digest',
            field=cqo_registry.encryption.DigestField(error_messages={'unique': '系统中已有这个身份证号的人员，请在已有人员上修改。'}, null=True, unique=True, verbose_name='身份证号查找码'),
        ),
        migrations.AlterField(
            model_name='historicalperson',
            name='id_number',
            field=enterprises.fields.IdNumberField(digest_field='id_number_digest', verbose_name='身份证号'),
        ),
        migrations.AlterField(
            model_name='historicalperson',
            name='mobile',
            field=cqo_registry.encryption.EncryptedCharField(blank=True, max_length=11, validators=[enterprises.validators.validate_mobile], verbose_name='手机'),
        ),
        migrations.AlterField(
            model_name='person',
            name='id_number',
            field=enterprises.fields.IdNumberField(digest_field='id_number_digest', verbose_name='身份证号'),
        ),
        migrations.AlterField(
            model_name='person',
            name='mobile',
            field=cqo_registry.encryption.EncryptedCharField(blank=True, max_length=11, validators=[enterprises.validators.validate_mobile], verbose_name='手机'),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows),
        migrations.AlterField(
            model_name='historicalperson',
            name='id_number_digest',
            field=cqo_registry.encryption.DigestField(db_index=True, error_messages={'unique': '系统中已有这个身份证号的人员，请在已有人员上修改。'}, verbose_name='身份证号查找码'),
        ),
        migrations.AlterField(
            model_name='person',
            name='id_number_digest',
            field=cqo_registry.encryption.DigestField(error_messages={'unique': '系统中已有这个身份证号的人员，请在已有人员上修改。'}, unique=True, verbose_name='身份证号查找码'),
        ),
    ]
