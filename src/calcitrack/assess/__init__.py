"""Assessment: the decision engine over the knowledge base (pure: no I/O beyond reading the KB)."""

from calcitrack.assess.engine import AssessmentError, assess, assess_findings, assess_lesions, fired_rules

__all__ = ["AssessmentError", "assess", "assess_findings", "assess_lesions", "fired_rules"]
