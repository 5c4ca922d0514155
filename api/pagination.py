from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    """Keyset pages in primary-key order: each page is one index range scan, however deep the
    platform has paged (no OFFSET), and rows added meanwhile are neither skipped nor repeated.
    ``?page_size=`` up to 500, 100 by default."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        """Refused (400) rather than ignored: a platform asking for 1,000 rows should know it
        gets 500 at most, and a typo should not pass silently."""
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        try:
            size = int(values[0])
        except ValueError:
            size = 0
        if len(values) > 1 or not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {"page_size": f"Expected one whole number, 1–{self.max_page_size}."}
            )
        return size

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                }
        return parameters
