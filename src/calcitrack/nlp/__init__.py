"""Report understanding: English and French imaging reports → findings, patient context, recommendations.

``read_report`` is what :func:`calcitrack.service.analyze` calls; ``extract`` is its findings only.
"""

from calcitrack.nlp.reader import Reading, extract, read_report

__all__ = ["Reading", "extract", "read_report"]
