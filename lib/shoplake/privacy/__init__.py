"""Privacy: keyed pseudonyms for identities, erasure of a customer, and the check that only bronze holds PII.

``pseudonyms`` (keyed HMAC ids), ``subjects`` (who an erasure request is about), ``requests``
(erasure requests recorded before anything is deleted, so a killed erasure can be finished),
``matching`` (conditions finding their rows), ``tables`` (every table of the lake), ``erasure``
(delete, vacuum, audit), ``erasure_list`` (hashes honoured at ingest), ``pii_scan`` (emails, phones
and names outside bronze), ``errors``.
"""
