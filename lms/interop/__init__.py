"""Interoperability: learning records sent to an xAPI Learning Record Store."""
