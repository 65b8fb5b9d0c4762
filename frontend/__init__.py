"""Server-rendered web console for lenders and the platform (no models)."""
