"""The catalog's vocabulary and the typed terms each product category takes.

Pure: no database access, so the offer engine (``scenarios.engine``), the services, the admin
forms and the import all validate terms with the same rules. ``terms_errors`` answers every bad
term at once, keyed by the field name, each message naming the term.

One *priced rate* per product (``rate`` with its ``rate_floor`` and ``rate_ceiling``); what it
means depends on the category:

====================================================  =============================================
category                                              ``rate`` is
====================================================  =============================================
installment (equal installment / equal principal),    the annual interest rate
consumer credit, credit-limit uplift, supply-chain
finance
installment, interest-free promotion                  the monthly fee rate on the amount (a fee is
                                                      charged every period instead of interest)
deposit, wealth management                            the annual rate paid to the customer
insurance                                             the premium rate on the insured amount
payment, merchant services                            the fee rate on the transaction amount
data service                                          not used: a fixed fee per use
====================================================  =============================================

Segment adjustments and bundle adjustments move that rate; the engine clamps the result to the
floor and ceiling. Every rate is a decimal fraction with 6 places within 0–36 %.

**APR.** Every credit offer also states its annualised rate by IRR (``annualised_rate``: the
monthly internal rate of return of the customer's cash flows × 12), and the ceiling applies to
that rate (``apr_ceiling``): a flat monthly fee on the original amount costs about twice its
nominal rate, so a fee of 3 % a month (36 % "a year" nominally) is 53–61 % a year.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext

from django.db import models
from django.utils.translation import gettext_lazy as _

RATE_CAP = Decimal("0.360000")  # 36 % a year: the legal ceiling for any rate we quote
MIN_TENOR, MAX_TENOR = 1, 60  # months
MIN_AMOUNT = Decimal("0.01")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


class Category(models.TextChoices):
    PAYMENT = "payment", _("Payment")
    INSTALLMENT = "installment", _("Installment")
    CONSUMER_CREDIT = "consumer_credit", _("Consumer credit")
    CREDIT_LIMIT_UPLIFT = "credit_limit_uplift", _("Credit-limit uplift")
    INSURANCE = "insurance", _("Insurance")
    WEALTH_MANAGEMENT = "wealth_management", _("Wealth management")
    DEPOSIT = "deposit", _("Deposit")
    SUPPLY_CHAIN_FINANCE = "supply_chain_finance", _("Supply-chain finance")
    MERCHANT_SERVICES = "merchant_services", _("Merchant services")
    DATA_SERVICE = "data_service", _("Data service")


class RepaymentMethod(models.TextChoices):
    EQUAL_INSTALLMENT = "equal_installment", _("Equal installment (等额本息)")
    EQUAL_PRINCIPAL = "equal_principal", _("Equal principal (等额本金)")
    INTEREST_FREE = "interest_free", _("Interest-free with a fee per period")
    BULLET = "bullet", _("Principal and interest at maturity")


# How the price of a category is expressed (see the module docstring and scenarios.engine).
CREDIT = frozenset(
    {
        Category.INSTALLMENT,
        Category.CONSUMER_CREDIT,
        Category.CREDIT_LIMIT_UPLIFT,
        Category.SUPPLY_CHAIN_FINANCE,
    }
)
SAVINGS = frozenset({Category.DEPOSIT, Category.WEALTH_MANAGEMENT})
FEE_RATE = frozenset({Category.PAYMENT, Category.MERCHANT_SERVICES})


@dataclass(frozen=True)
class Rule:
    """Which terms a category takes: "required", "optional" or "forbidden" each."""

    rate: str
    amount: str
    tenors: str
    methods: tuple[str, ...] = ()
    minimum_charge: str = "forbidden"
    fixed_fee: str = "forbidden"


RULES: dict[str, Rule] = {
    Category.INSTALLMENT: Rule(
        "required",
        "required",
        "required",
        (RepaymentMethod.EQUAL_INSTALLMENT, RepaymentMethod.EQUAL_PRINCIPAL, RepaymentMethod.INTEREST_FREE),
    ),
    Category.CONSUMER_CREDIT: Rule(
        "required",
        "required",
        "required",
        (RepaymentMethod.EQUAL_INSTALLMENT, RepaymentMethod.EQUAL_PRINCIPAL),
    ),
    Category.CREDIT_LIMIT_UPLIFT: Rule("required", "required", "forbidden"),
    Category.SUPPLY_CHAIN_FINANCE: Rule(
        "required",
        "required",
        "required",
        (RepaymentMethod.BULLET, RepaymentMethod.EQUAL_PRINCIPAL, RepaymentMethod.EQUAL_INSTALLMENT),
    ),
    Category.DEPOSIT: Rule("required", "optional", "optional"),
    Category.WEALTH_MANAGEMENT: Rule("required", "optional", "optional"),
    Category.INSURANCE: Rule("required", "optional", "forbidden", minimum_charge="optional"),
    Category.PAYMENT: Rule("required", "optional", "forbidden", minimum_charge="optional"),
    Category.MERCHANT_SERVICES: Rule("required", "optional", "forbidden", minimum_charge="optional"),
    Category.DATA_SERVICE: Rule("forbidden", "optional", "forbidden", fixed_fee="required"),
}

TERM_FIELDS = (
    "currency",
    "rate",
    "rate_floor",
    "rate_ceiling",
    "min_amount",
    "max_amount",
    "tenor_months",
    "repayment_method",
    "minimum_charge",
    "fixed_fee",
)

_RATE_FIELDS = {
    "rate": _("base rate"),
    "rate_floor": _("rate floor"),
    "rate_ceiling": _("rate ceiling"),
}


def charges_fee(category: str, repayment_method: str = "") -> bool:
    """Whether a product charges a fee a bundle may waive (interest-free installments, payment,
    merchant services, data services)."""
    return (
        category in FEE_RATE
        or category == Category.DATA_SERVICE
        or (category == Category.INSTALLMENT and repayment_method == RepaymentMethod.INTEREST_FREE)
    )


# The IRR is solved in this context whatever the caller's: 40 digits carry (1 + i)^60 and the
# sums of the largest loan far beyond the 6 places a rate is stated in.
_IRR_CONTEXT = Context(prec=40, rounding=ROUND_HALF_UP)
# Newton's method converges quadratically: after a step s the error left is below
# |f''/2f'|·s² ≤ months·s² (doubled here for safety). Iteration stops as soon as that error
# cannot change the rate's 6th place; a schedule charging interest on its balance, started from
# its nominal rate, usually needs one step.
_IRR_EXACT_STEP = Decimal("1e-30")
_IRR_MAX_STEPS = 100
_RATE_PLACES = Decimal("0.000001")
_PERCENT_PLACES = Decimal("0.01")


def annualised_rate(
    amount: Decimal, payments: Iterable[tuple[int, Decimal]], *, guess: Decimal | None = None
) -> Decimal:
    """The annualised rate (APR) of a loan of ``amount`` paid out now and repaid by ``payments``,
    ``(month, payment)`` pairs with the months counted from the payout, ascending: the monthly
    internal rate of return of these cash flows × 12, stated to 6 places, half up.

    Annualised nominally (monthly IRR × 12), not effectively ((1 + IRR)^12 − 1): that is the
    internal-rate-of-return method as PBoC Announcement [2021] No. 3 is applied in China, and it
    makes the APR of a loan charging ``balance × annual rate / 12`` every month exactly its
    annual rate, so APR and nominal rate compare with the same ceiling; only rounding and fees
    on the original amount move it.

    Newton's method on NPV(i) = Σ payment·(1 + i)^−month − amount, which for positive payments
    falls and is convex in i: from any start each step after the first approaches the root from
    below and never overshoots. It stops when the error bound can no longer change the 6th
    place, so the stated rate is the exact IRR's, rounded. ``guess``, a monthly rate near the
    answer, saves steps; the default 0 is always safe. Deterministic: ``Decimal`` only, in a
    fixed context.
    """
    with localcontext(_IRR_CONTEXT):
        flows = list(payments)
        if not flows or flows[0][0] < 1:
            raise ValueError("an APR needs at least one payment, each a month or more after the payout")
        last = flows[-1][0]
        # The payment of every month 1..last (0 in a month without one), latest first: Horner's
        # scheme then evaluates the NPV and its slope in one pass of 4 operations a month.
        due = [Decimal(0)] * last
        for month, payment in flows:
            due[last - month] += payment
        amount = Decimal(amount)
        monthly = Decimal(guess) if guess is not None else Decimal(0)
        for _step in range(_IRR_MAX_STEPS):
            if monthly <= -1:
                monthly = Decimal(0)
            v = 1 / (1 + monthly)  # a month's discount factor
            # q = Σ p_t·v^(t−1) and dq = dq/dv; NPV = v·q − amount; Σ t·p_t·v^t = v·(q + v·dq).
            q = dq = Decimal(0)
            for payment in due:
                dq = dq * v + q
                q = q * v + payment
            npv, weighted = v * q - amount, v * (q + v * dq)
            # NPV'(i) = −weighted / (1 + i), so the Newton step −NPV / NPV' is:
            step = npv * (1 + monthly) / weighted
            monthly += step
            apr, error = monthly * 12, 24 * last * step * step
            if apr_round(apr - error) == apr_round(apr + error) or abs(step) < _IRR_EXACT_STEP:
                return apr_round(apr)
    raise ArithmeticError(f"no APR found for {amount} repaid by {flows}")


def apr_round(apr: Decimal) -> Decimal:
    """A rate as it is stated: a decimal fraction to 6 places, half up."""
    return apr.quantize(_RATE_PLACES, rounding=ROUND_HALF_UP)


def percent(rate: Decimal) -> str:
    """``Decimal("0.1734")`` as ``"17.34 %"`` (two places, half up), for messages."""
    return f"{(rate * 100).quantize(_PERCENT_PLACES, rounding=ROUND_HALF_UP):f} %"


def flat_fee_apr(monthly_fee: Decimal, months: int) -> Decimal:
    """The APR of an interest-free installment charging ``monthly_fee`` of the original amount
    every month over ``months`` equal parts, before any rounding to the fen: the customer repays
    1 + months × fee each month of a loan of ``months``. About 24 × fee × months / (months + 1):
    0.8 % a month is 17.3 % a year over 12 months, not 9.6 %."""
    with localcontext(_IRR_CONTEXT):
        payment = 1 + months * Decimal(monthly_fee)
        guess = 2 * Decimal(monthly_fee) * months / (months + 1)
        return annualised_rate(Decimal(months), [(m, payment) for m in range(1, months + 1)], guess=guess)


def apr_ceiling(category: str, repayment_method: str, rate_ceiling: Decimal | None) -> Decimal:
    """The highest APR a credit offer of this product may state: its rate ceiling when that is an
    annual interest rate, and 36 % a year when it is a monthly fee (interest-free installments,
    whose fee ceiling is held to 36 % as an APR by ``terms_errors``)."""
    if rate_ceiling is None or (
        category == Category.INSTALLMENT and repayment_method == RepaymentMethod.INTEREST_FREE
    ):
        return RATE_CAP
    return min(rate_ceiling, RATE_CAP)


def parse_tenors(value: object) -> list[int]:
    """``"3, 6,12"``, ``[3, 6, 12]`` or ``""`` as a sorted list of months; ``ValueError`` names
    the part that is not a whole number."""
    if value in (None, ""):
        return []
    parts = value if isinstance(value, list | tuple) else re.split(r"[\s,;|]+", str(value).strip())
    months = []
    for part in parts:
        if part in ("", None):
            continue
        text = str(part).strip()
        if not re.fullmatch(r"\d+", text):
            raise ValueError(text)
        months.append(int(text))
    return sorted(months)


def _decimal(value: object) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(str(value)) from exc


def terms_errors(category: str, terms: Mapping[str, object]) -> dict[str, list[str]]:
    """Every problem with a product's terms, as ``{field: [message, ...]}``; empty when valid.

    ``terms`` holds the ``TERM_FIELDS`` (missing keys count as empty). Values may be strings, as
    they come from a form or an import row.
    """
    errors: dict[str, list[str]] = {}

    def add(field: str, message) -> None:
        errors.setdefault(field, []).append(str(message))

    rule = RULES.get(category)
    if rule is None:
        add("category", _("Choose a product category."))
        return errors

    currency = str(terms.get("currency") or "")
    if not CURRENCY_RE.match(currency):
        add("currency", _("The currency must be a three-letter ISO 4217 code such as CNY."))

    values: dict[str, Decimal | None] = {}
    for field in (
        "rate",
        "rate_floor",
        "rate_ceiling",
        "min_amount",
        "max_amount",
        "minimum_charge",
        "fixed_fee",
    ):
        try:
            values[field] = _decimal(terms.get(field))
        except ValueError:
            add(field, _("“%(value)s” is not a number.") % {"value": terms.get(field)})
            values[field] = None

    _check_rates(rule, category, terms, values, add)
    _check_amounts(rule, values, add)
    _check_tenors(rule, terms, add)

    method = str(terms.get("repayment_method") or "")
    if rule.methods and not method:
        add("repayment_method", _("This category needs a repayment method."))
    elif method and method not in rule.methods:
        if rule.methods:
            add(
                "repayment_method",
                _("This category allows these repayment methods only: %(methods)s.")
                % {"methods": ", ".join(str(RepaymentMethod(m).label) for m in rule.methods)},
            )
        else:
            add("repayment_method", _("This category has no repayment method."))

    for field, label in (("minimum_charge", _("minimum premium or fee")), ("fixed_fee", _("fixed fee"))):
        value = values[field]
        need = getattr(rule, field)
        if value is None and need == "required":
            add(field, _("This category needs a %(term)s.") % {"term": label})
        elif value is not None and need == "forbidden":
            add(field, _("This category takes no %(term)s.") % {"term": label})
        elif value is not None and value < 0:
            add(field, _("The %(term)s cannot be negative.") % {"term": label})
    if values["fixed_fee"] is not None and values["fixed_fee"] == 0 and rule.fixed_fee == "required":
        add("fixed_fee", _("The fixed fee must be more than zero."))
    return errors


def _check_rates(rule: Rule, category: str, terms, values, add) -> None:
    given = {f: values[f] for f in _RATE_FIELDS}
    if rule.rate == "forbidden":
        for field, value in given.items():
            if value is not None:
                add(
                    field,
                    _("This category is priced by a fixed fee and takes no %(term)s.")
                    % {"term": _RATE_FIELDS[field]},
                )
        return
    for field, value in given.items():
        if value is None:
            add(field, _("This category needs a %(term)s.") % {"term": _RATE_FIELDS[field]})
        elif not (0 <= value <= RATE_CAP):
            add(
                field,
                _("The %(term)s must be between 0 %% and 36 %% a year.") % {"term": _RATE_FIELDS[field]},
            )
        elif value.as_tuple().exponent < -6:
            add(field, _("The %(term)s has at most 6 decimal places.") % {"term": _RATE_FIELDS[field]})
    floor, rate, ceiling = given["rate_floor"], given["rate"], given["rate_ceiling"]
    if floor is not None and ceiling is not None and floor > ceiling:
        add("rate_floor", _("The rate floor must not be above the rate ceiling."))
    elif rate is not None and floor is not None and ceiling is not None and not (floor <= rate <= ceiling):
        add("rate", _("The base rate must lie between the rate floor and the rate ceiling."))
    # A flat monthly fee on the original amount costs about twice its nominal twelve-fold a
    # year: the 36 % cap applies to the APR of the highest fee over every tenor offered.
    if (
        category == Category.INSTALLMENT
        and str(terms.get("repayment_method") or "") == RepaymentMethod.INTEREST_FREE
        and ceiling is not None
        and 0 <= ceiling <= RATE_CAP
    ):
        try:
            tenors = [t for t in parse_tenors(terms.get("tenor_months")) if MIN_TENOR <= t <= MAX_TENOR]
        except ValueError:
            tenors = []
        worst, months = max((flat_fee_apr(ceiling, t), t) for t in tenors or [MIN_TENOR])
        if worst > RATE_CAP:
            add(
                "rate_ceiling",
                _(
                    "At the highest monthly fee, %(fee)s, the annualised rate (APR) reaches %(apr)s "
                    "over %(months)d months; it must stay within 36 %% a year."
                )
                % {"fee": percent(ceiling), "apr": percent(worst), "months": months},
            )


def _check_amounts(rule: Rule, values, add) -> None:
    low, high = values["min_amount"], values["max_amount"]
    labels = {"min_amount": _("minimum amount"), "max_amount": _("maximum amount")}
    for field, value in (("min_amount", low), ("max_amount", high)):
        if value is None and rule.amount == "required":
            add(field, _("This category needs a %(term)s.") % {"term": labels[field]})
        elif value is not None and rule.amount == "forbidden":
            add(field, _("This category takes no %(term)s.") % {"term": labels[field]})
        elif value is not None and value < MIN_AMOUNT:
            add(field, _("The %(term)s must be at least 0.01.") % {"term": labels[field]})
        elif value is not None and value.as_tuple().exponent < -2:
            add(field, _("The %(term)s has at most 2 decimal places.") % {"term": labels[field]})
    if low is not None and high is not None and low > high:
        add("min_amount", _("The minimum amount must not be above the maximum amount."))


def _check_tenors(rule: Rule, terms, add) -> None:
    try:
        tenors = parse_tenors(terms.get("tenor_months"))
    except ValueError as exc:
        add("tenor_months", _("Tenors are whole numbers of months; “%(value)s” is not.") % {"value": exc})
        return
    if not tenors and rule.tenors == "required":
        add("tenor_months", _("This category needs at least one allowed tenor."))
    elif tenors and rule.tenors == "forbidden":
        add("tenor_months", _("This category takes no tenors."))
    elif any(not (MIN_TENOR <= t <= MAX_TENOR) for t in tenors):
        add("tenor_months", _("Tenors must be between 1 and 60 months."))
    elif len(set(tenors)) != len(tenors):
        add("tenor_months", _("Each tenor may appear once."))
