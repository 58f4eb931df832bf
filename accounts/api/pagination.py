from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination


def _whole(text: str) -> bool:
    # str.isdigit() also says yes to "²", which int() refuses
    return text.isascii() and text.isdigit()


class CreatedCursorPagination(CursorPagination):
    """Stable cursor pages, newest first. Views override ``ordering`` where needed."""

    ordering = ("-created_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        raw = request.query_params.getlist(self.page_size_query_param)
        if not raw:
            return self.page_size
        # A wrong page size is the caller's mistake: say so instead of guessing.
        if len(raw) > 1 or not _whole(raw[0]) or not 1 <= int(raw[0]) <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        f"Use a whole number from 1 to {self.max_page_size}."
                    ]
                }
            )
        return int(raw[0])

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
