"""Web forms of the sign-in and admin pages. They carry CSRF and keep what was typed; the rules themselves
live in the services, whose field errors `apply_errors` puts beside the matching fields."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from models import BUSINESS_KINDS, ROLES
from services.accounts.gstin import STATE_CODES
from services.vocabulary import MAKING_TYPES, PURITIES

KIND_CHOICES = [SelectChoice(kind, kind.capitalize()) for kind in BUSINESS_KINDS]
ROLE_CHOICES = [SelectChoice(role, role.capitalize()) for role in ROLES]
STATE_CHOICES = [SelectChoice("", "—")] + [SelectChoice(code, f"{code} · {name}") for code, name in STATE_CODES.items()]
SCALE_CHOICES = [SelectChoice("", "Off: we don't scan scale labels"),
                 SelectChoice("weight", "On: the label shows the weight (grams)"),
                 SelectChoice("price", "On: the label shows the price (paise)")]
ITEM_DIGIT_CHOICES = [SelectChoice(str(n), str(n)) for n in (4, 5, 6)]
CODE_ATTRS = {"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]{6}", "maxlength": 6,
              "placeholder": "123456"}


def apply_errors(form: FlaskForm, errors: dict, fallback: str | None = None) -> None:
    """Show a service's field errors beside their fields; errors for fields the form lacks go on `fallback`."""
    for name, messages in errors.items():
        field = getattr(form, name, None) or (getattr(form, fallback, None) if fallback else None)
        if field is None:
            form.form_errors.extend(messages)
            continue
        field.errors = list(field.errors) + list(messages)


class SignupForm(FlaskForm):
    username = StringField("Your name (username)", render_kw={"autocomplete": "username"})
    email = EmailField("Email", render_kw={"autocomplete": "email"})
    password = PasswordField("Password (at least 8 characters)", render_kw={"autocomplete": "new-password"})
    phone_no = StringField("Phone (optional)", render_kw={"autocomplete": "tel", "inputmode": "tel"})
    business_name = StringField("Shop name (optional)", render_kw={"autocomplete": "organization"})
    business_kind = SelectField("Kind of shop", choices=KIND_CHOICES, default="general")


class CodeForm(FlaskForm):
    otp = StringField("6-digit code", render_kw=CODE_ATTRS)


class LoginForm(FlaskForm):
    email = EmailField("Email", render_kw={"autocomplete": "username"})
    password = PasswordField("Password", render_kw={"autocomplete": "current-password"})
    remember = BooleanField("Keep me signed in on this device")


class ForgotForm(FlaskForm):
    email = EmailField("Email", render_kw={"autocomplete": "email"})


class ResetForm(FlaskForm):
    otp = StringField("6-digit code from the email", render_kw=CODE_ATTRS)
    new_password = PasswordField("New password (at least 8 characters)", render_kw={"autocomplete": "new-password"})
    confirm_password = PasswordField("New password again", render_kw={"autocomplete": "new-password"})


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", render_kw={"autocomplete": "current-password"})
    new_password = PasswordField("New password (at least 8 characters)", render_kw={"autocomplete": "new-password"})
    confirm_password = PasswordField("New password again", render_kw={"autocomplete": "new-password"})


class EmptyForm(FlaskForm):
    """A form with only the CSRF token (logout, resend, switch store, remove)."""


class StoreSettingsForm(FlaskForm):
    name = StringField("Shop name")
    address = TextAreaField("Address", render_kw={"rows": 3})
    state_code = SelectField("State", choices=STATE_CHOICES)
    phone = StringField("Phone", render_kw={"inputmode": "tel"})
    gstin = StringField("GSTIN", render_kw={"maxlength": 15, "style": "text-transform: uppercase"})
    upi_id = StringField("UPI id", render_kw={"placeholder": "shopname@okbank"})
    invoice_prefix = StringField("Invoice prefix", render_kw={"maxlength": 6})
    business_kind = SelectField("Kind of shop", choices=KIND_CHOICES)
    timezone = StringField("Time zone", render_kw={"list": "timezones"})
    logo = FileField("Logo (JPEG, PNG or WebP, at most 5 MB)", render_kw={"accept": "image/jpeg,image/png,image/webp"})
    # Billing options (services.accounts.billing_options); unticked boxes are sent to the service as False.
    prices_include_tax = BooleanField("Prices I type for new items already include GST (MRP pricing)")
    round_off = BooleanField("Round each bill's total to the nearest rupee")
    bill_discount_before_tax = BooleanField("Take bill discounts and coupons off before GST is worked out "
                                            "(the customer pays less tax)")
    print_receipt_after_save = BooleanField("Print the 80 mm receipt at the till by itself after each Save")
    hallmark_mandatory = BooleanField("Refuse to sell a gold piece of 2 g or more without its HUID (BIS hallmarking)")
    loyalty_per_100 = StringField("Points a customer earns per ₹100 paid (0: no loyalty points)",
                                  render_kw={"inputmode": "decimal"})
    loyalty_point_value = StringField("What a point is worth when redeemed, in ₹", render_kw={"inputmode": "decimal"})
    scale_value = SelectField("Weighing-scale labels", choices=SCALE_CHOICES, default="")
    scale_prefix = StringField("Label barcodes start with", render_kw={"inputmode": "numeric", "maxlength": 3,
                                                                       "placeholder": "21"})
    scale_item_digits = SelectField("Digits of the item code after that", choices=ITEM_DIGIT_CHOICES, default="5")


class InviteForm(FlaskForm):
    email = EmailField("Email")
    role = SelectField("Role", choices=ROLE_CHOICES, default="cashier")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


# --------------------------------------------------------------------------- jewellery

# (metal, purity, form field) of every rate the rates service knows: gold_24K ... silver_925
RATE_FIELDS = [(metal, purity, f"{metal}_{purity}") for metal, purities in PURITIES.items() for purity in purities]
PURITY_CHOICES = [SelectChoice("", "Choose…")] + [SelectChoice(f"{metal}-{purity}", f"{metal.title()} {purity}")
                                                   for metal, purity, _ in RATE_FIELDS]
MAKING_CHOICES = [SelectChoice(value, label) for value, label in zip(
    MAKING_TYPES, ("Per gram of net weight", "Per piece", "Percent of metal value"))]
DECIMAL = {"inputmode": "decimal", "autocomplete": "off"}


class RatesForm(FlaskForm):
    """Today's price per gram, one box per metal and purity (a blank box leaves that rate as it is)."""


for _metal, _purity, _name in RATE_FIELDS:
    setattr(RatesForm, _name, StringField(f"{_metal.title()} {_purity}", render_kw=DECIMAL))


IMAGE_KW = {"accept": "image/jpeg,image/png,image/webp"}


class PieceForm(FlaskForm):
    name = StringField("Name", render_kw={"maxlength": 100})
    sku = StringField("Tag (SKU)", render_kw={"maxlength": 50, "autocomplete": "off"})
    barcode = StringField("Barcode", render_kw={"maxlength": 64, "autocomplete": "off"})
    huid = StringField("HUID (6 letters or digits)", render_kw={"maxlength": 6, "autocomplete": "off",
                                                                "style": "text-transform: uppercase"})
    metal_purity = SelectField("Metal and purity", choices=PURITY_CHOICES)
    type = SelectField("Kind", choices=[SelectChoice("sale", "For sale (in stock now)"),
                                        SelectChoice("purchase", "To buy in (comes into stock on a purchase)")])
    gross_weight = StringField("Gross weight (g)", render_kw=DECIMAL)
    less_weight = StringField("Less weight (g, stones etc.)", render_kw=DECIMAL)
    tounch = StringField("Tounch (%; blank: the purity's)", render_kw=DECIMAL)
    wastage = StringField("Wastage (%)", render_kw=DECIMAL)
    making_type = SelectField("Making charge", choices=MAKING_CHOICES)
    making_charge = StringField("Making amount (₹, or % of metal value)", render_kw=DECIMAL)
    stone_weight = StringField("Stone weight", render_kw=DECIMAL)
    stone_unit = SelectField("Stone weight in", default="carat",
                             choices=[SelectChoice("carat", "carat"), SelectChoice("gram", "gram")])
    stone_value = StringField("Stone value (₹)", render_kw=DECIMAL)
    hallmark_fee = StringField("Hallmark fee (₹ per piece)", render_kw=DECIMAL)
    gst_rate = StringField("GST % (blank: 3)", render_kw=DECIMAL)
    hsn_code = StringField("HSN", render_kw={"inputmode": "numeric", "maxlength": 8})
    size = StringField("Size", render_kw={"maxlength": 50})
    remark = TextAreaField("Remark", render_kw={"rows": 2})
    image = FileField("Photo (JPEG, PNG or WebP, at most 5 MB)", render_kw=IMAGE_KW)
    additional_image = FileField("Second photo", render_kw=IMAGE_KW)
