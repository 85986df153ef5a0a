"""NamastePMS Authentication (docs/contracts/000_e4a737684d814818.txt): signup, OTPs, login, password reset
and token refresh under /api, answered character for character as the contract writes them."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterable, Optional

from flask import Blueprint

from blueprints.api.common import DRF, ApiError, json_response, read_json
from blueprints.decorators import auth_per_ip, login_per_account, mail_per_account, otp_per_account
from extensions import db
from services.accounts import tokens
from services.accounts import users as accounts

bp = Blueprint("accounts_api", __name__, url_prefix="/api")

MAX_LENGTHS = {"username": 150, "email": 254, "password": 128, "new_password": 128, "phone_no": 15,
               "business_name": 255, "business_kind": 20, "refresh": 4096}


@bp.errorhandler(accounts.AccountError)
def account_error(exc: accounts.AccountError):
    """The contract's {"error": ...} refusals; a refusal with writes (a counted try, a fresh code) commits them."""
    if exc.keep_writes:
        db.session.commit()
    else:
        db.session.rollback()
    return json_response({"error": exc.message}, exc.status)


def _fields(required: Iterable[str], optional: Iterable[str] = ()) -> dict[str, Optional[str]]:
    """The named string fields of the JSON body, or 400 with DRF's field errors for each bad one."""
    data = read_json(DRF)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, needed in [(n, True) for n in required] + [(n, False) for n in optional]:
        value = data.get(name)
        if name not in data:
            if needed:
                errors[name] = ["This field is required."]
            continue
        if value is None:
            if needed:
                errors[name] = ["This field may not be null."]
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            errors[name] = ["Not a valid string."]
            continue
        text = str(value) if name.endswith("password") else str(value).strip()
        if needed and text == "":
            errors[name] = ["This field may not be blank."]
        elif len(text) > MAX_LENGTHS.get(name, 255):
            errors[name] = [f"Ensure this field has no more than {MAX_LENGTHS.get(name, 255)} characters."]
        elif name == "email" and (message := accounts.email_error(text)):
            errors[name] = [message]
        elif name == "otp" and not accounts.OTP_SHAPE.match(text):
            errors[name] = ["Enter the 6-digit code."]
        else:
            values[name] = text
    if errors:
        raise ApiError(400, "", body=errors)
    return values


@bp.post("/signup/")
@auth_per_ip
@mail_per_account
def signup():
    """Create the user and their first store, and mail the signup OTP."""
    fields = _fields(("username", "email", "password"), ("phone_no", "business_name", "business_kind"))
    accounts.signup(**fields)
    db.session.commit()
    return json_response({"message": "User created successfully. Please verify the OTP sent to your email."}, 201)


@bp.post("/verify-signup-otp/")
@auth_per_ip
@otp_per_account
def verify_signup_otp():
    """Activate the account with the signup OTP."""
    fields = _fields(("email", "otp"))
    accounts.verify_signup(fields["email"], fields["otp"])
    db.session.commit()
    return json_response({"message": "Signup OTP verified successfully!"})


@bp.post("/login/")
@auth_per_ip
@login_per_account
def login():
    """Check the password and mail a login OTP (403 and a fresh signup OTP when the email is unverified)."""
    fields = _fields(("email", "password"))
    accounts.login(fields["email"], fields["password"])
    db.session.commit()
    return json_response({"message": "OTP sent to your email. Please verify to proceed."})


@bp.post("/verify-login-otp/")
@auth_per_ip
@otp_per_account
def verify_login_otp():
    """Spend the login OTP and answer with a refresh and an access token."""
    fields = _fields(("email", "otp"))
    user = accounts.verify_login(fields["email"], fields["otp"])
    refresh = tokens.issue_refresh(user)
    access = tokens.issue_access(user)
    db.session.commit()
    return json_response({"message": "Login OTP verified successfully!", "refresh": refresh, "access": access})


@bp.post("/forget-password/")
@auth_per_ip
@mail_per_account
def forget_password():
    """Mail a password-reset OTP."""
    fields = _fields(("email",))
    accounts.start_reset(fields["email"])
    db.session.commit()
    return json_response({"message": "OTP sent to your email. Please verify to reset your password."})


@bp.post("/verify-forget-password-otp/")
@auth_per_ip
@otp_per_account
def verify_forget_password_otp():
    """Mark the reset OTP verified; /reset-password/ then accepts a new password for a while."""
    fields = _fields(("email", "otp"))
    accounts.verify_reset(fields["email"], fields["otp"])
    db.session.commit()
    return json_response({"message": "Forget Password OTP verified successfully!"})


@bp.post("/reset-password/")
@auth_per_ip
@otp_per_account
def reset_password():
    """Set the new password after a verified reset OTP; every older token and session stops working."""
    fields = _fields(("email", "new_password"))
    accounts.reset_password(fields["email"], fields["new_password"])
    db.session.commit()
    return json_response({"message": "Password reset successfully!"})


TOKEN_NOT_VALID = {"detail": "Token is invalid or expired", "code": "token_not_valid"}


@bp.post("/token/refresh/")
@auth_per_ip
def token_refresh():
    """Rotate a refresh token: a new access token (and, beyond the contract, the next refresh token)."""
    fields = _fields(("refresh",))
    try:
        user, access, refresh = tokens.rotate_refresh(fields["refresh"])
    except tokens.TokenReused:
        db.session.commit()  # the revocation of the whole family stands although the answer is a refusal
        raise ApiError(401, TOKEN_NOT_VALID["detail"], body=TOKEN_NOT_VALID) from None
    except tokens.TokenError:
        raise ApiError(401, TOKEN_NOT_VALID["detail"], body=TOKEN_NOT_VALID) from None
    db.session.commit()
    return json_response({"access": access, "refresh": refresh})
