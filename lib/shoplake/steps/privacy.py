"""Privacy steps: check that no personal data left bronze, and erase a customer on request."""
from __future__ import annotations

import json

from shoplake.log import get_logger
from shoplake.privacy.erasure import NothingToErase, erase_customer
from shoplake.privacy.keys import resolve_audit_key, resolve_key
from shoplake.privacy.pii_scan import check_no_pii
from shoplake.steps.context import StepContext, StepOutcome

log = get_logger(__name__)


def privacy_check_step(ctx: StepContext) -> StepOutcome:
    """Fail when emails, phone numbers or customer names appear outside bronze."""
    return StepOutcome(figures=check_no_pii(ctx.lake, ctx.settings))


def erase_customer_step(ctx: StepContext) -> StepOutcome:
    """Erase the customer (``customer`` id or ``email``) from every table and list them on ``ops.erasure_list``;
    ``output``: the erasure's summary as JSON."""
    settings = ctx.settings
    try:
        result = erase_customer(ctx.lake, settings, resolve_key(settings, ctx.environ),
                                resolve_audit_key(settings, ctx.environ), customer_id=ctx.option("customer"),
                                email=ctx.option("email"), allow_unknown=ctx.option("allow_unknown", False))
    except NothingToErase as exc:
        log.error("%s; nothing was changed (pass --allow-unknown to put the customer on the erasure list anyway)", exc)
        raise SystemExit(1) from None
    summary = result.as_dict()
    if ctx.option("output"):
        with open(ctx.option("output"), "w") as out:
            json.dump(summary, out, indent=2)
    return StepOutcome(figures={k: v for k, v in summary.items() if isinstance(v, (str, int, float))})
