# The upload's first rows are stored sealed (imports/pii.py). The column keeps its type
# (JSON holding one string), so no existing data needs converting: there is no production
# data yet, and a plain preview written before still loads.

import propel_admin.imports.pii
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('imports', '0010_role_permissions'),
    ]

    operations = [
        migrations.AlterField(
            model_name='upload',
            name='preview',
            field=propel_admin.imports.pii.SealedJSONField(default=list),
        ),
    ]
