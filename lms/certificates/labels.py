"""What staff screens call a certificate's status and an audit entry's action, in the
reader's language (never the stored value)."""

from __future__ import annotations

from lms.certificates.models import CertificateAction, CertificateStatus
from lms.certificates.verification import VerificationState
from lms.i18n import _l

STATUS_LABELS = {
    CertificateStatus.VALID: _l("Valid"),
    CertificateStatus.REVOKED: _l("Revoked"),
    CertificateStatus.SUPERSEDED: _l("Replaced by a corrected certificate"),
}

ACTION_LABELS = {
    CertificateAction.ISSUED: _l("Issued"),
    CertificateAction.REVOKED: _l("Revoked"),
    CertificateAction.REISSUED: _l("Re-issued with a correction"),
    CertificateAction.RENDERED: _l("PDF made"),
    CertificateAction.SHARED: _l("Share link made by the holder"),
    CertificateAction.SHARE_WITHDRAWN: _l("Share link withdrawn by the holder"),
}


def revocation_label(category: object) -> str:
    """The public words of a revocation category (its stored value or member); "" if none."""
    from lms.certificates.issuing import REVOCATION_LABELS
    from lms.certificates.models import RevocationCategory

    try:
        return str(REVOCATION_LABELS[RevocationCategory(str(category))]) if category else ""
    except ValueError:
        return ""


#: What a public check says of each state. Lazy: a response translates only
#: the one message it shows.
STATE_MESSAGES = {
    VerificationState.MALFORMED: _l(
        "This is not a certificate number of ours. Check it and try again."
    ),
    VerificationState.MISTYPED: _l(
        "This number has a typing mistake (its check character does not match). "
        "Compare it with the certificate character by character."
    ),
    VerificationState.NOT_FOUND: _l("No certificate has this number."),
    VerificationState.VALID: _l("Valid: this certificate was issued by us and is current."),
    VerificationState.REVOKED: _l("Revoked: this certificate is no longer valid."),
    VerificationState.EXPIRED: _l(
        "Expired: this certificate was valid but its validity has ended."
    ),
    VerificationState.SUPERSEDED: _l(
        "Superseded: this certificate was replaced by a corrected one."
    ),
}
