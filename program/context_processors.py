from django.conf import settings


def site(request):
    """Values every page needs: the site's name for titles and the footer."""
    return {"SITE_NAME": getattr(settings, "SITE_NAME", "NeuroAI Workshops")}
