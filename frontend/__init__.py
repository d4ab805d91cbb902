"""Server-rendered pages, static files and the Dash dashboards."""
