"""The close concept of the lending domain."""
