"""upload pages."""
