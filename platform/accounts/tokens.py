"""Personal API tokens: created, listed and revoked by their owner; revoked by an administrator.

A key is 43 random URL-safe characters; the database keeps its sha256 (a key of that entropy
needs no slow hash) and its first 8 characters, so that a leaked database holds no usable key.
Every token expires (settings.API_TOKEN_LIFETIME_DAYS by default, at most
settings.API_TOKEN_MAX_LIFETIME_DAYS). Nobody creates a token for somebody else: the services
take the owner from the request, and the admin can only revoke.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from accounts.errors import ApplicationError
from accounts.models import ApiToken
from accounts.permissions import Action, may

# Touch last_used_at at most this often, so that a script's every request is not a write.
_LAST_USED_RESOLUTION = timedelta(minutes=5)


def _sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: Any, name: str, lifetime_days: int | None = None) -> tuple[ApiToken, str]:
    """A new token of `user` and its key (returned once, never stored)."""
    if not may(user, Action.MANAGE_OWN_TOKENS):
        raise ApplicationError("API tokens are for users with a role on the platform.")
    days = settings.API_TOKEN_LIFETIME_DAYS if lifetime_days is None else lifetime_days
    if not 1 <= days <= settings.API_TOKEN_MAX_LIFETIME_DAYS:
        raise ApplicationError(
            f"A token lives from 1 to {settings.API_TOKEN_MAX_LIFETIME_DAYS} days; choose a lifetime in that range.",
            extra={"code": "invalid", "field": "lifetime_days"},
        )
    name = (name or "").strip() or "API"
    key = secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name[:80],
        prefix=key[:8],
        key_sha256=_sha256(key),
        expires_at=timezone.now() + timedelta(days=days),
    )
    token.full_clean()
    token.save()
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: Any) -> ApiToken:
    """Revoke a token: its owner, or an administrator (REVOKE_ANY_TOKEN)."""
    if token.user_id != by.pk and not may(by, Action.REVOKE_ANY_TOKEN):
        raise ApplicationError("Only the token's owner or an administrator may revoke it.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = by
        token.save(update_fields=["revoked_at", "revoked_by"])
    return token


def api_tokens_of(*, user: Any) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first (revoked and expired ones too, marked as such)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def api_token_active(token: ApiToken) -> bool:
    return token.revoked_at is None and token.expires_at > timezone.now()


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`: the active, unexpired token whose sha256 matches."""

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        token = ApiToken.objects.select_related("user").filter(key_sha256=_sha256(key)).first()
        if token is None or not api_token_active(token) or not token.user.is_active:
            raise exceptions.AuthenticationFailed(
                "The token is not valid: it is unknown, revoked or expired."
            )
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
