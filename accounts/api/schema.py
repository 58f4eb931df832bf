"""OpenAPI naming: serializers nested in views (STYLE's Input/Output pair) get unique names."""

from drf_spectacular import openapi


class AutoSchema(openapi.AutoSchema):
    def get_serializer_name(self, serializer, direction):
        name = super().get_serializer_name(serializer, direction)
        qualname = type(serializer).__qualname__
        if "." in qualname and not name.startswith(qualname.split(".")[0]):
            owner = qualname.rsplit(".", 1)[0].replace(".", "")
            return owner.removesuffix("Api").removesuffix("View") + name
        return name


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "Machine-readable error code."},
                "message": {"type": "string", "description": "A sentence a person can act on."},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "Per-field messages, for validation errors.",
                },
                "detail": {"type": "object", "additionalProperties": {}},
            },
            "required": ["code", "message", "fields", "detail"],
        }
    },
    "required": ["error"],
}
DEFAULT_ERRORS = {
    "400": "Invalid input.",
    "401": "Missing, wrong or revoked API key.",
    "403": "The key's role does not allow this.",
    "404": "Not found (or another business's).",
    "429": "Too many requests for this key.",
    "503": "A service we depend on (carrier, registry) did not answer; retry later.",
}


def add_error_responses(result, generator, request, public):
    """Every authenticated operation documents the one error shape for the usual failures."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR_SCHEMA)
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            if operation.get("security") == [{}] or operation.get("security") == []:
                continue  # public operation
            responses = operation.setdefault("responses", {})
            for status, description in DEFAULT_ERRORS.items():
                responses.setdefault(status, {"description": description, "content": ref})
    return result
