"""Give every user a calendar-feed token.

A unique column with a callable default cannot be added in one step to a table that has rows:
Django evaluates the default once, so every existing user would get the same token. So: add
the column nullable, give each existing user their own token, then make it non-null and
unique (Django's documented recipe for unique fields with a default).
"""

from django.db import migrations, models

import accounts.models


def fill_feed_tokens(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    users = list(User.objects.filter(feed_token__isnull=True).only("pk"))
    for user in users:
        user.feed_token = accounts.models.new_feed_token()
    User.objects.bulk_update(users, ["feed_token"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="feed_token",
            field=models.CharField(editable=False, max_length=43, null=True),
        ),
        migrations.RunPython(fill_feed_tokens, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="user",
            name="feed_token",
            field=models.CharField(
                default=accounts.models.new_feed_token,
                editable=False,
                max_length=43,
                unique=True,
            ),
        ),
    ]
