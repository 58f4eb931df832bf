import os

from django.core.asgi import get_asgi_application

# Production unless told otherwise: a server started without DJANGO_SETTINGS_MODULE must fail
# on its missing secrets, never serve DEBUG pages signed with local.py's known key.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_asgi_application()
