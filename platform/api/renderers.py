"""Renderers for the file downloads, so that content negotiation accepts each file's media type
(Swagger's "Try it out" and curl send `Accept: text/csv`, which DRF would otherwise answer
with 406). The views build the files themselves; these renderers only ever render an error
body, which FileDownloadMixin turns into JSON."""

from rest_framework.renderers import BaseRenderer, JSONRenderer


class _FileRenderer(BaseRenderer):
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data, "application/json", renderer_context)


def _renderer(media: str, file_format: str) -> type[BaseRenderer]:
    return type(
        f"{file_format.title()}FileRenderer", (_FileRenderer,), {"media_type": media, "format": file_format}
    )


# format -> media type of every file the API serves; the first of a view's list is the default.
MEDIA_TYPES = {
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
    "zip": "application/zip",
    "html": "text/html",
    "eaf": "application/xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
RENDERERS = {file_format: _renderer(media, file_format) for file_format, media in MEDIA_TYPES.items()}


def renderers_for(*formats: str) -> list[type[BaseRenderer]]:
    """Renderers for the given formats, in that order (the first answers */*), and JSON for errors."""
    renderers = [JSONRenderer if f == "json" else RENDERERS[f] for f in formats]
    return renderers if "json" in formats else [*renderers, JSONRenderer]


class FileDownloadMixin:
    """Errors of a file download are JSON whatever the request accepted; without ?format=,
    the format follows the negotiated media type."""

    def finalize_response(self, request, response, *args, **kwargs):
        if getattr(response, "data", None) is not None and response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)

    def requested_format(self, request, filters: dict, default: str) -> str:
        if filters.get("format"):
            return filters["format"]
        negotiated = getattr(request.accepted_renderer, "format", default)
        return default if negotiated == "json" else negotiated
