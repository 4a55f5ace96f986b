"""django.contrib.admin's app config, with the site that lets Admins in (core.admin_site).

In its own module: next to CoreConfig it would confuse Django's choice of app config.
"""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class PropelAdminConfig(AdminConfig):
    default_site = "propel_admin.core.admin_site.PropelAdminSite"
