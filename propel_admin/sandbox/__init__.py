"""A local stand-in for the Propeller REST API v2 contacts endpoints (stdlib only)."""
