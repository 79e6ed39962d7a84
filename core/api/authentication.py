"""``Authorization: Bearer <token>``, as the original Medh clients send it."""

from rest_framework.authentication import TokenAuthentication


class BearerTokenAuthentication(TokenAuthentication):
    """DRF's token authentication with the keyword the original API uses.

    A token is issued by ``POST /api/v1/auth/login`` and revoked by ``/api/v1/auth/logout``.
    """

    keyword = "Bearer"
