from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.ApiTokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'The token issued by the bureau, as "Api-Key <token>".',
        }


ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
INVALID = {
    "type": "object",
    "additionalProperties": True,
    "description": "Each refused parameter with what was expected.",
}
REFUSALS = {
    "400": ("A query parameter is not what the endpoint expects.", INVALID),
    "401": ("No token, or one that is unknown, revoked or expired.", ERROR),
    "403": ("The token lacks the scope this endpoint needs.", ERROR),
    "404": ("No such row, or a cursor that is not one.", ERROR),
    "429": ("The token's rate is used up; retry after the Retry-After header's seconds.", ERROR),
}


def document_refusals(result, generator, request, public):
    """drf-spectacular postprocessing hook: the refusals every data endpoint can answer,
    so that clients (and the contract tests) know them."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not operation.get("security"):
                continue
            for status, (description, schema) in REFUSALS.items():
                content = {"application/json": {"schema": schema}}
                if status == "400":
                    # A NUL byte anywhere in the address is refused by the site itself
                    # (cqo_registry.middleware.RefuseNulMiddleware), before the API: its
                    # plain 400 page.
                    content["text/html"] = {"schema": {"type": "string"}}
                operation["responses"].setdefault(
                    status, {"description": description, "content": content}
                )
    return result
