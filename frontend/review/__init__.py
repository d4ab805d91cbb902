"""review pages."""
