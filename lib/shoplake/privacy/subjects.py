"""Who an erasure request is about: the raw customer ids and emails that identify one person.

A request names a customer id or an email; ``bronze.orders`` (the only table holding both) links
the two, so erasing by email also finds the customer's ids, and erasing by id finds their emails.
Only this small set of values is brought to the driver. Raw input lines name a person under the
identity keys of their contract (:func:`identity_keys`), read by :func:`raw_identity_values`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from shoplake.privacy.pseudonyms import pseudonym
from shoplake.schemas import ORDERS, Contract
from shoplake.schemas.source_mapping import SourceMapping, source_mapping
from shoplake.schemas.mapping import mapped_columns

MAX_LINKING_ROUNDS = 4
EMAIL = "email"


@dataclass(frozen=True)
class Customer:
    """The raw identifiers of one person: customer ids and (normalised) emails."""

    ids: frozenset[str]
    emails: frozenset[str]

    @property
    def tokens(self) -> frozenset[str]:
        """Every raw value to look for in raw text."""
        return self.ids | self.emails

    def id_pseudonyms(self, key: bytes) -> set[str]:
        """The keyed pseudonyms of the ids, as silver and gold tables hold them."""
        return {pseudonym(i, key) for i in self.ids}

    def keeping(self, hashes: set[str] | frozenset[str], key: bytes) -> Customer:
        """Only the identifiers whose HMAC under ``key`` is in ``hashes``."""
        return Customer(frozenset(i for i in self.ids if pseudonym(i, key) in hashes),
                        frozenset(e for e in self.emails if pseudonym(e, key) in hashes))


def normalised_email(column: Column) -> Column:
    """Emails compare case- and space-insensitively."""
    return F.lower(F.trim(column))


def identity_keys(contract: Contract, identity_columns: Sequence[str],
                  mapping: SourceMapping | None = None) -> dict[str, bool]:
    """The keys under which ``contract``'s raw records name a person (its mapping's file columns, for columns read
    as they are), each mapped to whether it holds an email."""
    mapping = mapping or source_mapping(contract.name)
    keys = {mapping.source_key(c): c == EMAIL for c in contract.schema.fieldNames() if c in identity_columns or c == EMAIL}
    return {key: is_email for key, is_email in keys.items() if key is not None}


def raw_identity_values(text: Column, keys: Mapping[str, bool]) -> list[Column]:
    """The values under ``keys`` of the raw JSON lines ``text``, emails normalised; null where absent or not JSON."""
    parsed = F.from_json(text, StructType([StructField(k, StringType()) for k in keys]))
    return [normalised_email(parsed[k]) if is_email else parsed[k] for k, is_email in keys.items()]


def order_contacts(bronze_orders: DataFrame, mapping: SourceMapping | None = None) -> DataFrame:
    """``(customer_id, email)`` of every raw order record, read through the shop's mapping of its orders."""
    contacts = mapped_columns(bronze_orders, mapping or source_mapping(ORDERS.name), ORDERS, ("customer_id", EMAIL))
    return contacts.withColumn(EMAIL, normalised_email(F.col(EMAIL)))


def link_customer(contacts: DataFrame, ids: set[str], emails: set[str]) -> Customer:
    """Grow ``ids`` and ``emails`` with every id sharing an email and every email sharing an id.

    Stops when nothing new is found (an id with several emails, an email used by several ids).
    """
    ids, emails = set(ids), {e.strip().lower() for e in emails}
    for _ in range(MAX_LINKING_ROUNDS):
        wanted = [F.col(c).isin(*values) for c, values in (("customer_id", ids), ("email", emails)) if values]
        if not wanted:
            break
        linked = contacts.where(reduce(Column.__or__, wanted)).distinct().collect()
        more_ids = {r["customer_id"] for r in linked if r["customer_id"]} - ids
        more_emails = {r["email"] for r in linked if r["email"]} - emails
        if not more_ids and not more_emails:
            break
        ids |= more_ids
        emails |= more_emails
    return Customer(frozenset(ids), frozenset(emails))
