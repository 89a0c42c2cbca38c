"""django-csp's middleware, with this host's websocket added to ``connect-src``.

CSP Level 3 reads ``'self'`` as covering ws:/wss: of the page's own host, but not every
browser does, and the widget and the console open a websocket to the page's host. The host
is the request's, which ``ALLOWED_HOSTS`` has already vetted.
"""

from __future__ import annotations

from csp.middleware import CSPMiddleware, PolicyParts
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase


class SameHostWebsocketCSPMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        try:
            host = request.get_host()
        except DisallowedHost:  # answered 400 already; no page, no socket
            return parts
        scheme = "wss" if request.is_secure() else "ws"
        parts.update = {"connect-src": [f"{scheme}://{host}"], **(parts.update or {})}
        return parts
