"""Log filters that keep contact data out of log lines, whatever LOG_LEVEL says."""

from __future__ import annotations

import logging

# At DEBUG, Django's template engine logs the whole template context on a missing variable
# (rows, payloads, e-mail addresses) and the database backend logs every query with its
# parameters. Neither is wanted in this app's logs at any level.
CONTACT_DATA_LOGGERS = ("django.template", "django.db.backends")


class NoContactData(logging.Filter):
    """Drops the DEBUG records of the loggers that print contact data."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.levelno <= logging.DEBUG and record.name.startswith(CONTACT_DATA_LOGGERS)
        )
