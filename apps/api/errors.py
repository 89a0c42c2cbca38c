"""OpenAI's error shape: ``{"error": {"message", "type", "param", "code"}}``, one status each."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import JsonResponse


class ApiError(Exception):
    """A request the API refuses: the client's mistake (4xx), said in OpenAI's words."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }

    def response(self) -> JsonResponse:
        response = JsonResponse(self.body(), status=self.status)
        if self.retry_after is not None:
            response.headers["Retry-After"] = str(self.retry_after)
        if self.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="surgedesk"'
        return response


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code=code)


def too_large() -> ApiError:
    return ApiError(
        413,
        f"the body is larger than {settings.API_MAX_BODY_BYTES} bytes",
        code="request_too_large",
    )


def unauthenticated(message: str) -> ApiError:
    return ApiError(401, message, type="authentication_error", code="invalid_api_key")


def forbidden(scope: str) -> ApiError:
    return ApiError(
        403,
        f"this key lacks the scope {scope!r}",
        type="permission_error",
        code="insufficient_scope",
    )


def not_found(message: str, *, param: str | None = None) -> ApiError:
    return ApiError(404, message, param=param, code="not_found")


def rate_limited(retry_after: int) -> ApiError:
    return ApiError(
        429,
        f"rate limit exceeded for this key; try again in {retry_after} s",
        type="rate_limit_exceeded",
        code="rate_limit_exceeded",
        retry_after=retry_after,
    )
