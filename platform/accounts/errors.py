"""The one error type services raise for rules a person broke (shown to them as a message)."""

from typing import Any


class ApplicationError(Exception):
    """A rule of the clinic was not met, e.g. uploading without store_video consent.

    message is a sentence for the person; extra carries machine-readable details for the API.
    """

    def __init__(self, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
