"""Per-user API tokens: obtain one with username and password, revoke it with DELETE."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView


class _Credentials(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"}, trim_whitespace=False)


_TokenOutput = inline_serializer("Token", {"token": serializers.CharField()})


class TokenView(APIView):
    """POST: your token (created on first use). DELETE: revoke it; the next POST makes a new one."""

    throttle_classes = [AnonRateThrottle]

    def get_permissions(self):
        if self.request.method == "POST":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    @extend_schema(request=_Credentials, responses={200: _TokenOutput})
    def post(self, request: Request) -> Response:
        credentials = _Credentials(data=request.data)
        credentials.is_valid(raise_exception=True)
        user = authenticate(request=request._request, **credentials.validated_data)
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed(
                "The username or password is wrong, or the account is locked."
            )
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
