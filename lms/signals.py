"""Signals through which one domain reacts to another without importing it.

They are also the host's API (documented in the README with their arguments):
the names and keyword arguments below are kept stable. Each is sent with the
app as sender, after the change is flushed and before the request commits.
"""

from blinker import Namespace

lms_signals = Namespace()

#: sent with ``profile`` and ``lesson_version`` when a learner finishes a lesson
lesson_completed = lms_signals.signal("lesson-completed")
#: sent with ``profile``, ``lesson_version`` and ``step`` when a learner's page
#: reports a lesson step shown (the lesson was experienced)
lesson_experienced = lms_signals.signal("lesson-experienced")
#: sent with ``attempt`` once an attempt is graded
attempt_graded = lms_signals.signal("attempt-graded")
#: sent with ``achievement`` when a learner reaches a skill level
level_reached = lms_signals.signal("level-reached")
#: sent with ``certificate`` when a certificate is issued
certificate_issued = lms_signals.signal("certificate-issued")
#: sent with ``certificate`` when a certificate is revoked or superseded
certificate_status_changed = lms_signals.signal("certificate-status-changed")
#: sent with ``share``, ``organisation_id``, ``number``, ``state`` and
#: ``previous_state`` when a certificate shared with an employer is revoked,
#: superseded or found expired: a host can send mail, SMS or WeChat messages
shared_certificate_changed = lms_signals.signal("shared-certificate-changed")
#: sent with ``attendance`` (its ``session`` and ``profile_id``) when a rider is
#: checked in to a training session, by QR code or by the trainer's hand
session_attended = lms_signals.signal("session-attended")
