"""Errors for data the user supplied in a shape we cannot read.

They are ``ValidationError``s because the fix is always on the user's side (the data or the
channel's ``ContentType``); a training job turns them into its ``FailureReason``, as SageMaker's
algorithm containers report a ``UserError`` for unreadable input.
"""

from __future__ import annotations

from drydock.errors import ValidationError


class DataFormatError(ValidationError):
    """The data is not valid in the format it claims to be (bad magic, truncated record, bad line)."""


class UnsupportedContentType(DataFormatError):
    """The content type names no format the reader supports; the message lists those it does."""
