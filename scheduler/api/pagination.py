from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request


class Pages(LimitOffsetPagination):
    """`?limit=&offset=` pages, at most 200 rows each. An offset past any real table is clamped:
    PostgreSQL would refuse one beyond a bigint with an error instead of an empty page."""

    max_limit = 200
    max_offset = 2**31

    def get_offset(self, request: Request) -> int:
        return min(super().get_offset(request), self.max_offset)
