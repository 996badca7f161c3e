"""Privacy: keyed pseudonyms for identities, masking of PII, erasure of a customer."""
