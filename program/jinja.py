"""The Jinja2 environment for the agenda and speakers pages' content (see docs/design.md, "Rendering").

Django's template language is kept for every other page. These two lists render every session or
speaker of an event, and Jinja2, which compiles a template to Python, renders them several times faster
when nothing is cached. The filters and functions here print exactly what the Django tags did.
"""

from django.template.defaultfilters import date
from jinja2 import Environment, StrictUndefined

from .templatetags.program_tags import time_span


def environment(**options) -> Environment:
    options.pop("autoescape", None)  # always on
    # A misspelt name fails the test that renders it instead of printing nothing.
    options["undefined"] = StrictUndefined
    env = Environment(autoescape=True, **options)
    env.filters["date"] = date
    env.globals["time_span"] = time_span
    return env
