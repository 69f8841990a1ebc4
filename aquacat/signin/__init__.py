"""Sign-in with ORCID and other OpenID Connect providers, through django-allauth.

providers.py turns OIDC_PROVIDERS into allauth's settings; identity.py finds the
account a sign-in belongs to and records the person's ORCID iD; adapters.py
hooks both into allauth's flow. Local accounts (Django's own sign-in) stay.
"""
