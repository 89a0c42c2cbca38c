"""Role checks for staff pages: a role is a Django group (``ops``, ``agent``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

OPS = "ops"
AGENT = "agent"

View = Callable[..., HttpResponse]


def has_role(user, *roles: str) -> bool:
    """Superusers hold every role; others need membership of one of ``roles``."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.groups.filter(name__in=roles).exists()


def role_required(*roles: str) -> Callable[[View], View]:
    """Anonymous users go to the login page; signed-in users without the role get 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


ops_required = role_required(OPS)
agent_required = role_required(AGENT)
