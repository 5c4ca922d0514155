from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def restore_seeded_posts(sender, using="default", **kwargs):
    """After ``migrate`` and after every ``flush`` (tests that flush the database): put back
    any seeded post that is missing, as Django does for permissions — every appointment
    defaults to the CQO's post, which must therefore exist."""
    from django.db import connections

    from .models import PostType
    from .post_seeds import SEEDED_POSTS, seed_posts

    # Not yet there when migrating back to before the posts.
    if PostType._meta.db_table not in connections[using].introspection.table_names():
        return
    manager = PostType.objects.using(using)
    if manager.filter(code__in=[p["code"] for p in SEEDED_POSTS]).count() < len(SEEDED_POSTS):
        seed_posts(manager)


class AppointmentsConfig(AppConfig):
    name = "appointments"
    verbose_name = _("聘任与备案")

    def ready(self):
        from cqo_registry import data_version

        post_migrate.connect(restore_seeded_posts, sender=self)
        # SQLite drops a table's triggers when a migration rebuilds it: put them back.
        post_migrate.connect(data_version.reinstall_after_migrate, sender=self)
