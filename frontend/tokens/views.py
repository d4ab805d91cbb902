"""The API tokens page: each user creates, lists and revokes their own tokens (accounts.tokens).

A new token's key is shown once, on the answer to the form that created it (never stored, never
shown again); the list shows names, first characters, dates and state.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.errors import ApplicationError
from accounts.permissions import Action, require_role_action
from accounts.tokens import api_token_active, api_token_create, api_token_revoke, api_tokens_of

LIFETIME_CHOICES = [(30, "30 days"), (90, "90 days"), (180, "180 days"), (365, "1 year")]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=80,
        label="Name",
        help_text="What you will use it for, e.g. “R analysis scripts”.",
        error_messages={"required": "Give the token a name, so that you can recognise it later."},
    )
    lifetime_days = forms.TypedChoiceField(
        choices=LIFETIME_CHOICES, coerce=int, initial=90, label="Valid for"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lifetime_days"].choices = [
            (days, label) for days, label in LIFETIME_CHOICES if days <= settings.API_TOKEN_MAX_LIFETIME_DAYS
        ]


def _require_tokens(user) -> None:
    require_role_action(
        user, Action.MANAGE_OWN_TOKENS, "API tokens are for users with a role on the platform."
    )


@require_http_methods(["GET", "POST"])
@login_required
def api_tokens_page(request: HttpRequest) -> HttpResponse:
    _require_tokens(request.user)
    new_key, status = None, 200
    form = ApiTokenForm()
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                token, new_key = api_token_create(user=request.user, **form.cleaned_data)
            except ApplicationError as error:
                form.add_error(None, error.message)
                status = 400
            else:
                form = ApiTokenForm()
                messages.success(
                    request, f"Token “{token.name}” created. Copy its key now: it is shown only once."
                )
        else:
            status = 400
    tokens = [
        {"token": token, "active": api_token_active(token)} for token in api_tokens_of(user=request.user)
    ]
    return render(
        request, "tokens/tokens.html", {"form": form, "tokens": tokens, "new_key": new_key}, status=status
    )


@require_POST
@login_required
def api_token_revoke_page(request: HttpRequest, token_id: int) -> HttpResponse:
    _require_tokens(request.user)
    token = get_object_or_404(api_tokens_of(user=request.user), pk=token_id)
    api_token_revoke(token=token, by=request.user)
    messages.success(request, f"Token “{token.name}” revoked: it no longer opens the API.")
    return redirect("api_tokens")
