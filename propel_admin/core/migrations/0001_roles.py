"""The three roles as groups: Viewer, Operator, Admin (core.roles.ROLE_PERMISSIONS)."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

from propel_admin.core.roles import ROLE_PERMISSIONS, roles_ensure


def forwards(apps, schema_editor):
    # Permissions are normally made after migrate (post_migrate); the groups need them now.
    for label in ("auth", "axes", "imports", "audit"):
        create_permissions(
            global_apps.get_app_config(label),
            apps=apps,
            verbosity=0,
            using=schema_editor.connection.alias,
        )
    roles_ensure(apps=apps)


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLE_PERMISSIONS)).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("axes", "0010_accessattemptexpiration"),
        ("imports", "0010_role_permissions"),
        ("audit", "0002_view_audit_permission"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
