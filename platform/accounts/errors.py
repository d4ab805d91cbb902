"""The one error type services raise for rules a person broke (shown to them as a message)."""

from typing import Any

# HTTP status for each kind of refusal (extra["code"]); the browser's JSON views and the API share it.
HTTP_STATUS_BY_CODE = {
    "invalid": 400,
    "too_large": 413,
    "no_consent": 422,
    "offset_mismatch": 409,
    "not_open": 409,
    "incomplete": 409,
    "checksum_mismatch": 422,
    "rejected": 422,
    "confirm_other_patient": 409,
}


class ApplicationError(Exception):
    """A rule of the clinic was not met, e.g. uploading without store_video consent.

    message is a sentence for the person; extra carries machine-readable details for the API.
    """

    def __init__(self, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}

    @property
    def http_status(self) -> int:
        return HTTP_STATUS_BY_CODE.get(self.extra.get("code"), 400)
