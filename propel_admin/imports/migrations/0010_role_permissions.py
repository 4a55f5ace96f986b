from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('imports', '0009_email_index_sent_rows'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='importrun',
            options={'ordering': ['-created_at', '-id'], 'permissions': [('view_runs', 'Can see runs, their rows and outcomes, and look up contacts'), ('operate_runs', 'Can upload, map, check, send, pause, resume, cancel, re-run, fix rows, export')]},
        ),
        migrations.AlterModelOptions(
            name='mappingtemplate',
            options={'ordering': ['name'], 'permissions': [('manage_templates', 'Can rename, edit and delete mapping templates')]},
        ),
    ]
