"""Bundled example reports (package data) used by ``calcitrack demo``; all patients are fictitious."""
