"""The JSON API: the paths, field names and envelope of the original Medh API.

This package holds what every endpoint shares: the envelope (``responses``), the exception
handler, Bearer-token authentication, role permissions, pagination, field types that read and
write the original's formats (``fields``), the OpenAPI helpers (``schema``), login/logout and
the users endpoints, and the URLconf. The endpoints of each domain live beside its services:
``allocation/api.py`` and ``enrollments/api.py``. Views there parse with a serializer, check
access, call the same service the pages call and wrap the result; no rule is written here.
See README.md in this folder for the contract and a curl walk-through.
"""
