"""Registrations arrive with the registration feature."""
