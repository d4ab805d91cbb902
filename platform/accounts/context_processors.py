"""Template context: the user's roles, so that the navigation shows only what they may use."""

from django.http import HttpRequest

from accounts.permissions import user_roles


def roles(request: HttpRequest) -> dict[str, object]:
    user_role_values = {role.value for role in user_roles(getattr(request, "user", None))}
    return {"user_roles": user_role_values}
