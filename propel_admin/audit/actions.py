"""Action codes of the audit trail, and their labels for the audit page's filter.

Other parts of the app call audit_record(action=RUN_RERUN, ...) with these constants:
one grep finds every place an action is recorded.
"""

from __future__ import annotations

UPLOAD_CREATE = "upload.create"
UPLOAD_REREAD = "upload.reread"
MAPPING_CHANGE = "mapping.change"
TEMPLATE_CREATE = "template.create"
TEMPLATE_UPDATE = "template.update"
TEMPLATE_DELETE = "template.delete"
RUN_CHECK = "run.check"
RUN_START = "run.start"
RUN_PAUSE = "run.pause"
RUN_RESUME = "run.resume"
RUN_CANCEL = "run.cancel"
RUN_RERUN = "run.rerun"
ROW_FIX = "row.fix"
EXPORT_DOWNLOAD = "export.download"
PII_REVEAL = "pii.reveal"
PURGE = "purge"

LABELS: dict[str, str] = {
    UPLOAD_CREATE: "File uploaded",
    UPLOAD_REREAD: "File read again with other options",
    MAPPING_CHANGE: "Mapping changed",
    TEMPLATE_CREATE: "Template saved",
    TEMPLATE_UPDATE: "Template edited or renamed",
    TEMPLATE_DELETE: "Template deleted",
    RUN_CHECK: "Rows checked (dry run)",
    RUN_START: "Sending started",
    RUN_PAUSE: "Run paused",
    RUN_RESUME: "Run resumed",
    RUN_CANCEL: "Run cancelled",
    RUN_RERUN: "Failed rows sent again",
    ROW_FIX: "Row fixed",
    EXPORT_DOWNLOAD: "Export downloaded",
    PII_REVEAL: "Personal data shown",
    PURGE: "Deleted by the retention policy",
}

# What RunEvent.action becomes in the trail (run_control records both).
RUN_EVENT_ACTIONS = {
    "start": RUN_START,
    "pause": RUN_PAUSE,
    "resume": RUN_RESUME,
    "cancel": RUN_CANCEL,
    "rerun": RUN_RERUN,
}
