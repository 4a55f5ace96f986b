#!/usr/bin/env python
"""Django's command-line utility for Propel Admin."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "propel_admin.settings")
    from propel_admin.envconfig import ConfigError, load_settings_or_exit

    # Import the settings first so that a bad value stops start-up with one clear line.
    load_settings_or_exit(os.environ["DJANGO_SETTINGS_MODULE"])
    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
