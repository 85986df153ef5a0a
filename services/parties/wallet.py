"""The customer's wallet: money a customer holds with the store and spends with the `wallet` payment mode.

Modelled on services.parties.loyalty: Customer.wallet_balance is the balance; every change is a WalletEntry with the
balance after it, so the balance always equals the sum of the entries.

- Put in: a top-up (money received at the counter by cash, card or UPI: that day's money in, see
  services.reports.day_close and the day book; cashiers and up), a membership's prepaid value (credit_wallet, kind
  membership_credit), a credit note's refund in the wallet mode (after_return), a cancelled bill's wallet payments
  given back (after_cancel); both give wallet money back to the wallet that paid it (wallet_money_held).
- By hand: an adjustment (managers and owners; `adjust`): a signed amount with a reason from ADJUST_REASONS and a
  note, no money received (not in the day close). Taking never goes below zero: the same conditional UPDATE refuses
  it, naming the balance. Top-ups and adjustments are both written by `_by_hand`, which also writes the audit row
  (who, the customer, the amount, the balance after).
- Taken: a bill's payments in the wallet mode, on every surface, inside save_bill's transaction (after_sale), and a
  later payment against a bill's dues (after_payment). Each take is ONE conditional UPDATE
  (`wallet_balance >= amount`), so two tills paying from the same wallet at once cannot both have the money; the
  CHECK (wallet_balance >= 0) on the column is the backstop. A refusal names the balance ("Wallet balance is
  ₹500.00") and, raised inside the transaction, rolls the whole bill back.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Optional

from sqlalchemy import case, func, select, update

from extensions import db
from models import Bill, CreditNote, Customer, Party, PaymentMethod, Store, User, WalletEntry
from services import audit
from services.accounts.access import require_role
from services.bounds import money_problem
from services.errors import FieldErrors, ValidationError
from services.formatting import inr
from services.paging import Page, paginate
from services.vocabulary import CARD, CASH, UPI, WALLET

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
TOP_UP_MODES = (CASH, CARD, UPI)  # how the money of a top-up is received
KIND_LABELS = {"topup": "Top-up", "membership_credit": "Membership credit", "payment": "Paid a bill",
               "refund": "Refund (credit note)", "cancel": "Bill cancelled: payment given back",
               "adjustment": "Adjustment"}
# Why an owner or manager changes a balance by hand (the entry's reference keeps the label).
ADJUST_REASONS = {"correction": "Correction of a mistake", "goodwill": "Goodwill (complaint or gesture)",
                  "opening": "Balance brought over from the old system", "write_off": "Balance written off",
                  "other": "Other (say why in the note)"}
NOTE_LIMIT = 255


@dataclass
class Draw:
    """Money a bill takes from the wallet, and the request path to blame when the balance does not hold it."""

    amount: Decimal
    field: str


def balance_message(balance: Decimal) -> str:
    """The refusal every surface shows: "Wallet balance is ₹500.00"."""
    return f"Wallet balance is {inr(balance)}"


def balance_of(store: Store, party_id: Optional[int]) -> Optional[Decimal]:
    """The customer's wallet balance now (None: not a customer of the store)."""
    if party_id is None:
        return None
    return db.session.execute(select(Customer.wallet_balance).where(
        Customer.party_id == party_id, Customer.store_id == store.id)).scalar_one_or_none()


def _change(store: Store, party_id: int, amount: Decimal, kind: str, *, user: Optional[User],
            bill: Optional[Bill] = None, credit_note: Optional[CreditNote] = None, pay_mode: Optional[str] = None,
            reference: Optional[str] = None, note: Optional[str] = None) -> Optional[WalletEntry]:
    """Add `amount` (below zero: take) to the customer's balance in one conditional UPDATE and write the entry.
    Taking more than the balance changes nothing and answers None."""
    amount = Decimal(amount).quantize(CENT)
    statement = update(Customer).where(Customer.party_id == party_id, Customer.store_id == store.id)
    if amount < 0:
        # The guard: the row's balance as it is when this UPDATE runs (after any other till's commit).
        statement = statement.where(Customer.wallet_balance >= -amount)
    balance = db.session.execute(statement.values(wallet_balance=Customer.wallet_balance + amount)
                                 .returning(Customer.wallet_balance)).scalar_one_or_none()
    if balance is None:
        return None
    entry = WalletEntry(store_id=store.id, party_id=party_id, kind=kind, amount=amount, balance=balance,
                        bill_id=bill.id if bill is not None else None,
                        credit_note_id=credit_note.id if credit_note is not None else None,
                        pay_mode=pay_mode, reference=reference, note=note,
                        user_id=user.id if user is not None else None)
    db.session.add(entry)
    customer = db.session.execute(select(Customer).where(Customer.party_id == party_id)).scalar_one_or_none()
    if customer is not None:
        db.session.expire(customer, ["wallet_balance"])  # the UPDATE changed it under the ORM
    return entry


def _amount_problem(amount: object) -> Optional[str]:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        return "Enter the amount as a number, e.g. 500 or 499.50."
    if amount <= 0:
        return "Must be greater than 0"
    if amount != amount.quantize(CENT):
        return "At most two decimals (paise)."
    return money_problem(amount)


def _customer_party(store: Store, party: Party) -> Party:
    if party is None or party.store_id != store.id or party.Category_type != "Customer":
        raise ValidationError.field("customer", "Customer not found in this store")
    return party


def credit_wallet(store: Store, user: Optional[User], party: Party, amount: Decimal, *,
                  kind: str = "membership_credit", bill: Optional[Bill] = None, pay_mode: Optional[str] = None,
                  reference: Optional[str] = None, note: Optional[str] = None) -> WalletEntry:
    """Put `amount` (> 0) into the customer's wallet: a membership plan's prepaid value (the default kind), a top-up
    or an adjustment. Flushes nothing itself beyond the UPDATE; the caller commits."""
    _customer_party(store, party)
    if kind not in ("topup", "membership_credit", "adjustment"):
        raise ValueError(f"credit_wallet does not write {kind!r} entries")
    if problem := _amount_problem(amount):
        raise ValidationError.field("amount", problem)
    entry = _change(store, party.id, amount, kind, user=user, bill=bill, pay_mode=pay_mode, reference=reference,
                    note=note)
    if entry is None:  # not a row of customer (a party without its customer record)
        raise ValidationError.field("customer", "Customer not found in this store")
    db.session.flush()
    return entry


def _by_hand(store: Store, user: User, party: Party, amount: Decimal, kind: str, *,
             pay_mode: Optional[str] = None, reference: Optional[str] = None,
             note: Optional[str] = None) -> WalletEntry:
    """A top-up or an adjustment, typed on the customer's page: the one conditional UPDATE (a take refused naming
    the balance, nothing written) and the audit row with who did it. Flushes; the caller commits."""
    _customer_party(store, party)
    entry = _change(store, party.id, amount, kind, user=user, pay_mode=pay_mode, reference=reference, note=note)
    if entry is None:
        held = balance_of(store, party.id)
        if held is None:  # a party without its customer record
            raise ValidationError.field("customer", "Customer not found in this store")
        raise ValidationError.field("amount", f"{balance_message(held)}: an adjustment cannot take it below zero")
    db.session.flush()
    audit.record(kind, "wallet", party.id, store_id=store.id, user_id=user.id,
                 before={"balance": f"{entry.balance - entry.amount:f}"},
                 after={"balance": f"{entry.balance:f}"},
                 meta={"entry_id": entry.id, "amount": f"{entry.amount:f}", "pay_mode": pay_mode,
                       "reference": reference, "note": note})
    return entry


def top_up(store: Store, user: User, party: Party, amount: object, pay_mode: object,
           reference: Optional[str] = None) -> WalletEntry:
    """Money received from the customer into their wallet (cashier and up), by cash, card or UPI."""
    require_role(user, store, "cashier")
    errors: dict[str, list[str]] = {}
    if problem := _amount_problem(amount):
        errors["amount"] = [problem]
    if pay_mode not in TOP_UP_MODES:
        errors["pay_mode"] = ["Choose how the money was received: " + ", ".join(TOP_UP_MODES)]
    if reference is not None and len(reference) > 100:
        errors["reference"] = ["At most 100 characters"]
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], errors)
    return _by_hand(store, user, party, Decimal(amount).quantize(CENT), "topup", pay_mode=pay_mode,
                    reference=reference or None)


def adjust(store: Store, user: User, party: Party, amount: object, reason: object,
           note: Optional[str] = None) -> WalletEntry:
    """An owner's or manager's change of the balance by hand: + puts in, - takes out (never below zero); a reason
    from ADJUST_REASONS and a note ("other" needs the note). No money changes hands (not in the day close)."""
    require_role(user, store, "manager")
    errors = FieldErrors()
    if not isinstance(amount, Decimal) or not amount.is_finite():
        errors.add("amount", "Enter the amount as a number, e.g. 500 or -120.50 (below zero takes out).")
    elif amount == 0:
        errors.add("amount", "Must not be 0: a positive amount puts in, a negative one takes out.")
    elif amount != amount.quantize(CENT):
        errors.add("amount", "At most two decimals (paise).")
    elif problem := money_problem(abs(amount)):
        errors.add("amount", problem)
    if reason not in ADJUST_REASONS:
        errors.add("reason", "Choose the reason for the adjustment.")
    note = (note or "").strip() if isinstance(note, str) else ""
    if len(note) > NOTE_LIMIT:
        errors.add("note", f"At most {NOTE_LIMIT} characters.")
    elif reason == "other" and not note:
        errors.add("note", "Say why in the note (the reason is Other).")
    errors.raise_if()
    return _by_hand(store, user, party, amount.quantize(CENT), "adjustment", reference=ADJUST_REASONS[reason],
                    note=note or None)


def wallet_method_ids() -> set[int]:
    """The PaymentMethod row(s) named Wallet (NamastePMS bills name their mode by this id)."""
    return set(db.session.execute(select(PaymentMethod.id).where(PaymentMethod.name == "Wallet")).scalars())


def draws(payments, *, client_paid: Optional[Decimal] = None, payment_method_id: Optional[int] = None,
          field: str = "payment_amount") -> list[Draw]:
    """What a bill's payments take from the wallet: each payment in the wallet mode (blamed on
    payments[i].amount), or a NamastePMS bill's paid_amount when its payment_method is the Wallet."""
    found = [Draw(Decimal(p.amount), f"payments[{index}].amount") for index, p in enumerate(payments)
             if p.mode == WALLET and p.amount is not None]
    if not found and client_paid and payment_method_id is not None and payment_method_id in wallet_method_ids():
        found.append(Draw(Decimal(client_paid), "paid_amount"))
    return found


NOT_FOR_SUPPLIERS = "The wallet holds a customer's money: pay a supplier by cash, card or UPI."


def customer_problem(party_id: Optional[int], wanted: list[Draw]) -> Optional[tuple[str, str]]:
    """(field, message) when a bill pays from a wallet but has no customer to take it from."""
    if wanted and party_id is None:
        return wanted[0].field, "A wallet payment needs the bill's customer: choose the customer first."
    return None


def take(store: Store, user: Optional[User], bill: Bill, wanted: list[Draw]) -> None:
    """Take a bill's wallet payments from its customer's balance (one entry a bill), refused naming the balance."""
    if not wanted:
        return
    if problem := customer_problem(bill.party_id, wanted):
        raise ValidationError.field(*problem)
    total = sum((draw.amount for draw in wanted), ZERO)
    if _change(store, bill.party_id, -total, "payment", user=user, bill=bill) is None:
        held = balance_of(store, bill.party_id) or ZERO
        message = balance_message(held)
        raise ValidationError(message, {draw.field: [message] for draw in wanted})


def check_covers(store: Store, party_id: int, amount: Decimal, field: str = "amount") -> None:
    """Refuse up front, naming the whole balance, a wallet payment the balance cannot cover (a payment spread over
    several bills' dues would otherwise be refused by a later bill's take naming only what the earlier ones left);
    the conditional UPDATEs of `take` stay the guard against a concurrent payment."""
    held = balance_of(store, party_id) or ZERO
    if amount > held:
        message = balance_message(held)
        raise ValidationError(message, {field: [message]})


def take_unbilled(store: Store, user: Optional[User], party_id: int, amount: Decimal, field: str = "amount",
                  note: Optional[str] = None) -> WalletEntry:
    """Take a payment of dues that are no bill's (a customer's opening balance) from the wallet, refused naming
    the balance."""
    entry = _change(store, party_id, -amount, "payment", user=user, note=note)
    if entry is None:
        message = balance_message(balance_of(store, party_id) or ZERO)
        raise ValidationError(message, {field: [message]})
    return entry


def wallet_money_held(bill: Bill) -> list[tuple[int, Decimal]]:
    """What the bill still holds of each wallet that paid it, earliest payer first: the party's `payment` entries
    on the bill less the `refund` entries that went back to that party (a refund to the wallet gives back wallet
    money first, see `after_return`)."""
    rows = db.session.execute(
        select(WalletEntry.party_id,
               func.sum(case((WalletEntry.kind == "payment", -WalletEntry.amount), else_=0)),
               func.sum(case((WalletEntry.kind == "refund", WalletEntry.amount), else_=0)))
        .where(WalletEntry.bill_id == bill.id, WalletEntry.kind.in_(("payment", "refund")))
        .group_by(WalletEntry.party_id).order_by(func.min(WalletEntry.id))).all()
    held = [(party_id, Decimal(paid or 0) - Decimal(back or 0)) for party_id, paid, back in rows]
    return [(party_id, amount) for party_id, amount in held if amount > 0]


def _share_out(holders: list[tuple[int, Decimal]], amount: Decimal) -> tuple[dict[int, Decimal], Decimal]:
    """`amount` given to the holders in order, each up to what it holds: ({party: part}, what is left over)."""
    parts: dict[int, Decimal] = {}
    for party_id, held in holders:
        part = min(held, amount)
        if part > 0:
            parts[party_id] = part
            amount -= part
    return parts, amount


def after_return(store: Store, user: Optional[User], bill: Bill, note: CreditNote) -> None:
    """A credit note refunded in the wallet mode: the part the bill took from a wallet goes back to that wallet
    (the bill's customer may have been changed since: NamastePMS PUT), the rest into the bill customer's wallet;
    refused on refund_mode when some of it has no wallet to go to (no customer)."""
    if note.refund_mode != WALLET or not note.refund_amount:
        return
    parts, rest = _share_out(wallet_money_held(bill), note.refund_amount)
    if rest > 0:
        if bill.party_id is None:
            raise ValidationError.field("refund_mode", "A refund to the wallet needs the bill's customer; this bill "
                                                       "has none: refund by cash, card or UPI.")
        parts[bill.party_id] = parts.get(bill.party_id, ZERO) + rest
    for party_id, part in parts.items():
        if _change(store, party_id, part, "refund", user=user, bill=bill, credit_note=note) is None:
            raise ValidationError.field("refund_mode", "A refund to the wallet needs the bill's customer; this "
                                                       "bill has none: refund by cash, card or UPI.")


def paid_from_wallet(bill: Bill) -> Decimal:
    """What the bill's payments took from the wallet (its `payment` entries), a positive amount."""
    return -Decimal(db.session.execute(select(func.coalesce(func.sum(WalletEntry.amount), 0)).where(
        WalletEntry.bill_id == bill.id, WalletEntry.kind == "payment")).scalar_one())


def after_cancel(store: Store, user: Optional[User], bill: Bill) -> None:
    """A cancelled bill gives back what it still holds of wallet money (as the cash of a cancelled bill is handed
    back), to the wallet each payment came from (the bill's customer may have been changed since: NamastePMS PUT):
    each payer's payments less the refunds already given to it, never more in all than the bill still holds
    (paid - refunded: a return refunded in cash came out of it too)."""
    still_paid = Decimal(bill.paid_amount or 0) - Decimal(bill.refunded_amount or 0)
    parts, _ = _share_out(wallet_money_held(bill), max(still_paid, ZERO))
    for party_id, part in parts.items():
        _change(store, party_id, part, "cancel", user=user, bill=bill)


def take_back_credit(store: Store, user: Optional[User], party_id: int, amount: Decimal, bill: Bill,
                     note: str) -> None:
    """A cancelled bill's membership credit comes out of the wallet again (a negative membership_credit entry),
    refused naming the balance when the customer has spent it."""
    if _change(store, party_id, -amount, "membership_credit", user=user, bill=bill, note=note) is None:
        raise ValidationError.field("bill", f"The wallet credit of ₹{amount:.2f} this bill's membership gave has "
                                            f"been spent ({balance_message(balance_of(store, party_id))}): the bill "
                                            "cannot be cancelled")


def entries(store: Store, party_id: int, page: int = 1, limit: int = 20) -> Page:
    """A customer's wallet, newest first."""
    query = (select(WalletEntry).where(WalletEntry.store_id == store.id, WalletEntry.party_id == party_id)
             .order_by(WalletEntry.id.desc()))
    return paginate(query, page, limit)


def top_ups(store: Store, start, end) -> list[WalletEntry]:
    """The top-ups received in [start, end): money in of those days (day close, day book)."""
    return list(db.session.execute(select(WalletEntry).where(
        WalletEntry.store_id == store.id, WalletEntry.kind == "topup", WalletEntry.created_at >= start,
        WalletEntry.created_at < end).order_by(WalletEntry.created_at, WalletEntry.id)).scalars())
