"""The reference HQ server (ASGI), its storage (SQLite or PostgreSQL) and admin CLI.

``storage`` owns the database (``HQStorage``, built from ``db``, ``schema``, ``tx``,
``changelog``, ``terminals``, ``mutations``, ``handover`` and ``bulk``; the change log is
explained in ``changelog``), ``auth`` the terminal credentials,
``app`` the HTTP endpoints of ``sync.protocol``, ``cli`` the ``guidedesk-hq`` command and
``importers`` the CRM's CSV files.
"""
