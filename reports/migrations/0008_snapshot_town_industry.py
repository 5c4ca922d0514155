"""Snapshots also store each town's figures per industry section (scope ``town_ind``), so that
a town officer's dashboard of a stored date is read from the snapshot as the leaders' is
(issue 15 §1). Only the field's choices change: no column, no data."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0007_target_post"),
    ]

    operations = [
        migrations.AlterField(
            model_name="snapshotfigure",
            name="scope",
            field=models.CharField(
                choices=[
                    ("county", "全县"),
                    ("town", "镇"),
                    ("industry", "行业门类"),
                    ("town_ind", "镇内行业门类"),
                ],
                max_length=10,
                verbose_name="范围",
            ),
        ),
    ]
