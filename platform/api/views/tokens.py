"""Personal API tokens (accounts.tokens): each user's own, hashed, expiring.

- POST auth/token/ with username and password: a new token for that user (scripts without a
  browser); DELETE auth/token/: revoke the token this request authenticates with.
- tokens/: list one's own tokens (never their keys), create one (the key is in that answer
  only), DELETE tokens/<id>/ to revoke one of one's own.
"""

from django.contrib.auth import authenticate
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, permissions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from accounts.models import ApiToken
from accounts.tokens import api_token_active, api_token_create, api_token_revoke, api_tokens_of


class _Credentials(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"}, trim_whitespace=False)
    name = serializers.CharField(max_length=80, required=False, default="API")


class ApiTokenSerializer(serializers.ModelSerializer):
    active = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at", "active"]

    def get_active(self, token: ApiToken) -> bool:
        return api_token_active(token)


class ApiTokenInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    lifetime_days = serializers.IntegerField(required=False, min_value=1)


_NewToken = inline_serializer(
    "NewToken",
    {
        "token": serializers.CharField(),
        "id": serializers.IntegerField(),
        "expires_at": serializers.DateTimeField(),
    },
)


def _created(token: ApiToken, key: str) -> Response:
    return Response(
        {"token": key, "id": token.pk, "name": token.name, "expires_at": token.expires_at},
        status=status.HTTP_201_CREATED,
    )


class TokenView(APIView):
    """POST: a new token for these credentials. DELETE: revoke the token this request uses."""

    throttle_classes = [AnonRateThrottle]

    def get_permissions(self):
        if self.request.method == "POST":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    @extend_schema(request=_Credentials, responses={201: _NewToken})
    def post(self, request: Request) -> Response:
        credentials = _Credentials(data=request.data)
        credentials.is_valid(raise_exception=True)
        data = credentials.validated_data
        user = authenticate(request=request._request, username=data["username"], password=data["password"])
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed(
                "The username or password is wrong, or the account is locked."
            )
        return _created(*api_token_create(user=user, name=data["name"]))

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        if not isinstance(request.auth, ApiToken):
            raise exceptions.ValidationError(
                "This request is not authenticated by a token; revoke tokens at tokens/<id>/."
            )
        api_token_revoke(token=request.auth, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["tokens"])
class ApiTokenViewSet(viewsets.GenericViewSet):
    """The user's own API tokens."""

    serializer_class = ApiTokenSerializer
    pagination_class = None

    def get_queryset(self):
        return api_tokens_of(user=self.request.user)

    def list(self, request: Request) -> Response:
        return Response(self.get_serializer(self.get_queryset(), many=True).data)

    @extend_schema(request=ApiTokenInputSerializer, responses={201: _NewToken})
    def create(self, request: Request) -> Response:
        data = ApiTokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _created(*api_token_create(user=request.user, **data.validated_data))

    @extend_schema(parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)], responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        token = get_object_or_404(self.get_queryset(), pk=pk)
        api_token_revoke(token=token, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
