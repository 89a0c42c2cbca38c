"""Shop-chat sentiment tagging (``tagger``) and hand-off rules (``escalation``).

Pure domain logic: importing ``apps.sentiment.tagger`` or ``apps.sentiment.escalation``
needs no Django setup.
"""
