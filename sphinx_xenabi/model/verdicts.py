"""A requirement's verdict: its statuses and the mark each is shown with.

Kept apart from the verification itself (``model/verification.py``): the
requirement index shows the marks on every build, and loads only this.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    VERIFIED = "verified"
    FAILED = "failed"
    UNVERIFIED = "unverified"


# What a build that runs no examples says of every requirement, instead of a verdict.
NOT_CHECKED = "not checked"
# The mark shown before each status, as the executed tables mark their rows.
STATUS_MARKS = {
    Status.VERIFIED.value: "\u2714",
    Status.FAILED.value: "\u2718",
    Status.UNVERIFIED.value: "?",
    NOT_CHECKED: "\u2013",
}


def marked(status: str) -> str:
    """``✔ verified``: the status after its mark."""
    return f"{STATUS_MARKS.get(status, '')} {status}".strip()
