"""Interoperability: learning records sent to an xAPI Learning Record Store, and
the LTI 1.3 tool that other learning platforms launch (``lti_*`` modules)."""
