"""Question types: one registry (``lms.questions.registry``) owns every type,
each defined in its own module (``choice``, ``scenario``, ...) on the shared
vocabulary of ``base``. Nothing in this package imports Flask or SQLAlchemy.
"""
