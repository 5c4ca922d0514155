"""``manage.py rotate_data_keys``: re-encrypt every encrypted value with the first key of
CQO_DATA_KEYS and recompute every lookup hash with CQO_DATA_HMAC_KEY (issue 14 §2; README,
"Key rotation"). History rows included. Idempotent; runs in batches, one transaction each."""

from django.core.management.base import BaseCommand
from django.db import transaction

from cqo_registry.encryption import encrypted_models

BATCH = 1000


class Command(BaseCommand):
    help = "Re-encrypt ID numbers and mobiles with the first key of CQO_DATA_KEYS."

    def handle(self, *args, **options):
        for model, names in encrypted_models():
            fields = list(names)
            fields += [
                f.digest_field
                for f in model._meta.concrete_fields
                if getattr(f, "digest_field", "") and f.name in names
            ]
            done = 0
            pks = list(model._default_manager.order_by("pk").values_list("pk", flat=True))
            for start in range(0, len(pks), BATCH):
                with transaction.atomic():
                    # Loading decrypts with any key and recomputes the hash; saving encrypts
                    # with the first key. bulk_update writes no history rows.
                    rows = list(model._default_manager.filter(pk__in=pks[start : start + BATCH]))
                    model._default_manager.bulk_update(rows, fields)
                done += len(rows)
            self.stdout.write(f"{model._meta.label}: {done} rows re-encrypted")
