"""The loans concept of the lending domain."""
