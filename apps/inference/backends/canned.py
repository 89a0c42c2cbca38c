"""The canned route: an honest apology that offers a person. It cannot fail, so it ends
every plan."""

from __future__ import annotations

from apps.inference.base import AnswerStream, BackendRequest, Usage
from apps.inference.canned import apology
from apps.ops.vocabulary import Route


class CannedBackend:
    route = Route.CANNED
    is_model = False
    remembered = False  # an apology is no answer to remember

    def open(self, request: BackendRequest) -> AnswerStream:
        return AnswerStream(apology(request.language), Usage())
