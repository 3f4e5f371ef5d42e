"""The reference HQ server (ASGI), its storage (SQLite or PostgreSQL) and admin CLI.

``storage`` owns the database and the change log, ``auth`` the terminal credentials,
``app`` the HTTP endpoints of ``sync.protocol``, ``cli`` the ``guidedesk-hq`` command and
``importers`` the CRM's CSV files.
"""
