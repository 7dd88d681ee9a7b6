"""The records: one module per family, each exporting ``COMPONENTS`` (a list of Component)."""
