"""Web sign-in pages (Flask-Login sessions): signup and its code, login with password then the mailed code,
forgotten password, reset, change password, logout. The rules are in services/accounts/users.py."""
from __future__ import annotations

from typing import Optional

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_url, login_user, logout_user

from blueprints.decorators import auth_per_ip, login_per_account, mail_per_account, otp_per_account
from blueprints.forms import (
    ChangePasswordForm,
    CodeForm,
    EmptyForm,
    ForgotForm,
    LoginForm,
    ResetForm,
    SignupForm,
    apply_errors,
)
from blueprints.htmx import SESSION_ENDED, is_htmx, session_ended
from extensions import db, login_manager
from models import User
from services.accounts import users as accounts
from services.errors import ValidationError

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message_category = "error"

WRONG_LOGIN = "The email or password is not correct."
CODE_SHAPE = "Enter the 6-digit code."


@login_manager.user_loader
def load_user(session_id: str) -> Optional[User]:
    """Session ids are "<user id>:<token version>:<session version>" (User.get_id): bumping either ends them."""
    try:
        user_id, token_version, session_version = (int(part) for part in session_id.split(":"))
    except ValueError:  # also the two-part ids of before session_version: one new sign-in
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active_account:
        return None
    if (user.token_version, user.session_version) != (token_version, session_version):
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized():
    """No session: the login page, then back here; an HTMX request gets it as a whole page (HX-Redirect)."""
    if is_htmx():
        return session_ended()
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(login_url(login_manager.login_view, next_url=request.url))


# --------------------------------------------------------------------------- helpers


def _page(template: str, form, **context):
    """The form page; 422 when it comes back from a POST with errors (so scripts and HTMX can tell)."""
    status = 422 if request.method == "POST" else 200
    return render_template(template, form=form, **context), status


def safe_next(target: Optional[str]) -> Optional[str]:
    """Only same-site paths: never redirect a fresh login to another host."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _start_session(user: User, remember: bool) -> None:
    """A brand-new session at sign-in: nothing from before survives (no fixation), new CSRF token included."""
    session.clear()
    login_user(user, remember=remember, fresh=True)


def _pending(key: str) -> Optional[dict]:
    value = session.get(key)
    return value if isinstance(value, dict) and value.get("email") else None


def _code_refused(form: CodeForm | ResetForm, exc: accounts.AccountError) -> None:
    """Show a code refusal beside the code; a counted wrong try or fresh code is kept, anything else undone."""
    if exc.keep_writes:
        db.session.commit()
    else:
        db.session.rollback()
    message = accounts.INVALID_OTP if exc.status == 404 else exc.message
    form.otp.errors = list(form.otp.errors) + [message]


def _code_ok(form) -> bool:
    if not accounts.OTP_SHAPE.match((form.otp.data or "").strip()):
        form.otp.errors = list(form.otp.errors) + [CODE_SHAPE]
        return False
    return True


# --------------------------------------------------------------------------- signup


@bp.route("/signup", methods=["GET", "POST"])
@auth_per_ip
@mail_per_account
def signup():
    """Create an account and a first store; the code to verify the email is mailed."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user, _ = accounts.signup(
                username=(form.username.data or "").strip(), email=form.email.data or "",
                password=form.password.data or "", phone_no=(form.phone_no.data or "").strip() or None,
                business_name=(form.business_name.data or "").strip() or None, business_kind=form.business_kind.data,
            )
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc.errors)
        else:
            db.session.commit()
            session["pending_signup"] = {"email": user.email}
            flash(f"We have emailed a 6-digit code to {user.email}.", "success")
            return redirect(url_for(".verify_signup"), 303)
    return _page("auth/signup.html", form)


@bp.route("/signup/verify", methods=["GET", "POST"])
@auth_per_ip
@otp_per_account
def verify_signup():
    """Enter the signup code; a verified owner is signed in at once."""
    pending = _pending("pending_signup")
    if pending is None:
        return redirect(url_for(".signup"))
    form = CodeForm()
    if form.validate_on_submit() and _code_ok(form):
        try:
            user = accounts.verify_signup(pending["email"], form.otp.data.strip())
        except accounts.AccountError as exc:
            _code_refused(form, exc)
        else:
            _start_session(user, remember=False)
            db.session.commit()
            flash("Your email is verified. Welcome!", "success")
            return redirect(url_for("main.index"), 303)
    return _page("auth/verify.html", form, email=pending["email"], purpose="signup",
                 resend_url=url_for(".resend_signup"))


@bp.post("/signup/resend")
@auth_per_ip
@mail_per_account
def resend_signup():
    """Mail a new signup code (the old one stops working)."""
    pending = _pending("pending_signup")
    if pending is None:
        return redirect(url_for(".signup"))
    try:
        accounts.resend_signup_code(pending["email"])
    except accounts.AccountError:
        db.session.rollback()
        session.pop("pending_signup", None)
        flash("This email is already verified. Please log in.", "success")
        return redirect(url_for(".login"), 303)
    db.session.commit()
    flash("A new code is on its way; the previous one no longer works.", "success")
    return redirect(url_for(".verify_signup"), 303)


# --------------------------------------------------------------------------- login


@bp.route("/login", methods=["GET", "POST"])
@auth_per_ip
@login_per_account
def login():
    """Step one: email and password; a code is then mailed."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if request.method == "GET" and request.args.get("ended") == "1":
        flash(SESSION_ENDED, "error")
    if form.validate_on_submit():
        try:
            user = accounts.login(form.email.data or "", form.password.data or "")
        except accounts.RefusalWithWrites as exc:  # not verified yet: a fresh signup code went out
            db.session.commit()
            session["pending_signup"] = {"email": accounts.normalise_email(form.email.data)}
            flash(exc.message, "error")
            return redirect(url_for(".verify_signup"), 303)
        except accounts.AccountError as exc:
            db.session.rollback()
            # The web never says whether an email has an account (the API's 404 is the contract's).
            form.password.errors = [WRONG_LOGIN if exc.status in (401, 404) else exc.message]
        else:
            db.session.commit()
            session["pending_login"] = {
                "email": user.email, "remember": bool(form.remember.data),
                "next": safe_next(request.args.get("next")),
            }
            return redirect(url_for(".verify_login"), 303)
    return _page("auth/login.html", form)


@bp.route("/login/verify", methods=["GET", "POST"])
@auth_per_ip
@otp_per_account
def verify_login():
    """Step two: the 6-digit code from the mail starts the session."""
    pending = _pending("pending_login")
    if pending is None:
        return redirect(url_for(".login"))
    form = CodeForm()
    if form.validate_on_submit() and _code_ok(form):
        try:
            user = accounts.verify_login(pending["email"], form.otp.data.strip())
        except accounts.AccountError as exc:
            _code_refused(form, exc)
        else:
            _start_session(user, remember=bool(pending.get("remember")))
            db.session.commit()
            return redirect(safe_next(pending.get("next")) or url_for("main.index"), 303)
    return _page("auth/verify.html", form, email=pending["email"], purpose="login",
                 resend_url=url_for(".resend_login"))


@bp.post("/login/resend")
@auth_per_ip
@mail_per_account
def resend_login():
    """Mail a new login code to someone who already passed the password step."""
    pending = _pending("pending_login")
    user = accounts.find_user(pending["email"]) if pending else None
    if user is None:
        return redirect(url_for(".login"))
    try:
        accounts.resend_login_code(user)
    except accounts.AccountError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".login"), 303)
    db.session.commit()
    flash("A new code is on its way; the previous one no longer works.", "success")
    return redirect(url_for(".verify_login"), 303)


@bp.post("/logout")
def logout():
    """End the session on the server: no copy of its cookie or of the remember-me cookie signs in again."""
    EmptyForm()  # the CSRF token was already checked by CSRFProtect
    if current_user.is_authenticated:
        accounts.end_web_sessions(current_user._get_current_object())
        db.session.commit()
    session.clear()
    logout_user()  # after clear(): it leaves the note that makes Flask-Login delete the remember-me cookie
    flash("You are logged out.", "success")
    return redirect(url_for(".login"), 303)


# --------------------------------------------------------------------------- passwords


@bp.route("/forgot-password", methods=["GET", "POST"])
@auth_per_ip
@mail_per_account
def forgot_password():
    """Ask for a reset code by email."""
    form = ForgotForm()
    if request.method == "GET" and request.args.get("email"):
        form.email.data = request.args["email"]
    if form.validate_on_submit():
        email = accounts.normalise_email(form.email.data)
        if message := accounts.email_error(email):
            form.email.errors = [message]
        else:
            try:
                accounts.start_reset(email)
            except accounts.AccountError:
                db.session.rollback()  # same answer either way: the web does not reveal who has an account
            else:
                db.session.commit()
            session["pending_reset"] = {"email": email}
            flash(f"If {email} has an account here, a 6-digit code is on its way to it.", "success")
            return redirect(url_for(".reset_password"), 303)
    return _page("auth/forgot.html", form)


@bp.route("/reset-password", methods=["GET", "POST"])
@auth_per_ip
@otp_per_account
def reset_password():
    """The mailed code and a new password together; every older session and token ends."""
    pending = _pending("pending_reset")
    if pending is None:
        return redirect(url_for(".forgot_password"))
    form = ResetForm()
    if form.validate_on_submit() and _code_ok(form):
        password = form.new_password.data or ""
        if message := accounts.password_error(password):
            form.new_password.errors = [message]
        elif password != form.confirm_password.data:
            form.confirm_password.errors = ["The two passwords do not match."]
        else:
            try:
                accounts.verify_reset(pending["email"], form.otp.data.strip())
                accounts.reset_password(pending["email"], password)
            except accounts.AccountError as exc:
                _code_refused(form, exc)
            else:
                db.session.commit()
                session.pop("pending_reset", None)
                logout_user()
                flash("Your password is changed. Log in with the new one.", "success")
                return redirect(url_for(".login"), 303)
    return _page("auth/reset.html", form, email=pending["email"])


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change your own password; other devices are signed out, this one stays in."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data or "", form.new_password.data or "",
                                     form.confirm_password.data or "")
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc.errors)
        else:
            user = current_user._get_current_object()
            remembered = bool(request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")))
            db.session.commit()
            _start_session(user, remember=remembered)  # the session id carries the new token version
            flash("Your password is changed. Other devices have been signed out.", "success")
            return redirect(url_for("main.index"), 303)
    return _page("auth/change_password.html", form)
