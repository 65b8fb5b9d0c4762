"""The products concept of the lending domain."""
