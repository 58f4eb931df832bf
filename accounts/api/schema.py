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
