"""Who an erasure request is about: the raw customer ids and emails that identify one person.

A request names a customer id or an email; ``bronze.orders`` (the only table holding both) links
the two, so erasing by email also finds the customer's ids, and erasing by id finds their emails.
Only this small set of values is brought to the driver.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from shoplake.ingest.parse import json_keys
from shoplake.privacy.pseudonyms import pseudonym
from shoplake.schemas import ORDERS

MAX_LINKING_ROUNDS = 4


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

    def email_pseudonyms(self, key: bytes) -> set[str]:
        """The keyed pseudonyms of the emails (for the erasure list only)."""
        return {pseudonym(e, key) for e in self.emails}


def normalised_email(column: Column) -> Column:
    """Emails compare case- and space-insensitively."""
    return F.lower(F.trim(column))


def order_contacts(bronze_orders: DataFrame, column_map: dict[str, str] | None = None) -> DataFrame:
    """``(customer_id, email)`` of every raw order record (the shop's own JSON keys through ``column_map``)."""
    keys = json_keys(ORDERS, column_map)
    schema = StructType([StructField(keys[c], StringType()) for c in ("customer_id", "email")])
    parsed = F.from_json("value", schema)
    return bronze_orders.select(
        parsed[keys["customer_id"]].alias("customer_id"), normalised_email(parsed[keys["email"]]).alias("email")
    )


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
