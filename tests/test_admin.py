"""Admin pages: roles enforced by the view decorator and the services, store settings with GSTIN and logo
checks, staff invitations and roles, and the store switcher."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from extensions import db
from models import AuditLog, Membership, Store, User
from services.accounts import users as accounts
from services.accounts.access import current_store_for
from services.accounts.store_settings import update_store_settings
from services.errors import PermissionDenied
from tests.accounts_helpers import last_code, text_of

GOOD_GSTIN = "27AAPFU0939F1ZV"  # Maharashtra; check character V


def sign_in(client, user) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def image_bytes(fmt: str = "PNG", size=(40, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def shop(make_user):
    """An owner's store with a manager and a cashier in it."""
    owner = make_user(username="owner", store_name="Asha General Store")
    store = current_store_for(owner)
    manager = make_user(username="manager", store=store, role="manager")
    cashier = make_user(username="cashier", store=store, role="cashier")
    return {"store": store, "owner": owner, "manager": manager, "cashier": cashier}


def settings_form(**overrides) -> dict:
    data = {"name": "Asha General Store", "address": "12 MG Road, Pune", "state_code": "27", "phone": "+91 98765 43210",
            "gstin": GOOD_GSTIN, "upi_id": "asha@okaxis", "invoice_prefix": "ASH", "business_kind": "general",
            "timezone": "Asia/Kolkata"}
    data.update(overrides)
    return data


# --------------------------------------------------------------------------- roles


@pytest.mark.parametrize("path", ["/admin/settings", "/admin/staff"])
@pytest.mark.parametrize("role, status", [("owner", 200), ("manager", 403), ("cashier", 403)])
def test_owner_pages_refuse_managers_and_cashiers(client, shop, path, role, status):
    sign_in(client, shop[role])
    assert client.get(path).status_code == status


@pytest.mark.parametrize("path", ["/admin/settings", "/admin/staff"])
def test_owner_pages_send_strangers_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "path, data",
    [
        ("/admin/settings", settings_form(name="Taken over")),
        ("/admin/staff/invite", {"email": "new@example.com", "role": "owner"}),
    ],
)
def test_a_cashier_posting_to_owner_actions_is_refused_and_nothing_changes(client, shop, outbox, path, data):
    sign_in(client, shop["cashier"])
    assert client.post_form(path, data).status_code == 403
    db.session.expire_all()
    assert db.session.get(Store, shop["store"].id).name == "Asha General Store"
    assert db.session.execute(db.select(db.func.count(User.id))).scalar() == 3
    assert outbox() == []


def test_a_cashier_cannot_change_roles_even_their_own(client, shop):
    sign_in(client, shop["cashier"])
    mine = accounts.members_of(shop["store"])[-1]
    response = client.post_form(f"/admin/staff/{mine.id}/role", {f"m{mine.id}-role": "owner"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Membership, mine.id).role == "cashier"


def test_the_services_check_the_role_too(app, shop):
    for actor in (shop["cashier"], shop["manager"]):
        with pytest.raises(PermissionDenied):
            update_store_settings(actor, shop["store"], settings_form())
        with pytest.raises(PermissionDenied):
            accounts.invite_member(actor, shop["store"], "x@example.com", "cashier", "http://x/")
        with pytest.raises(PermissionDenied):
            accounts.change_role(actor, shop["store"], accounts.members_of(shop["store"])[0].id, "cashier")


# --------------------------------------------------------------------------- store settings


def test_the_owner_saves_the_store_settings(client, shop):
    sign_in(client, shop["owner"])
    response = client.post_form("/admin/settings", settings_form(gstin=GOOD_GSTIN.lower(), state_code=""))
    assert response.status_code == 303
    store = db.session.get(Store, shop["store"].id)
    db.session.refresh(store)
    assert (store.gstin, store.state_code, store.state) == (GOOD_GSTIN, "27", "Maharashtra")
    assert (store.upi_id, store.invoice_prefix, store.phone) == ("asha@okaxis", "ASH", "+91 98765 43210")
    assert db.session.execute(db.select(AuditLog).filter_by(entity="store", action="update")).scalar_one()


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("gstin", "27AAPFU0939F1ZX", "check character does not match"),
        ("gstin", "29AAPFU0939F1ZV", "must start with the store&#39;s state code 27"),
        ("gstin", "27AAPFU0939F1Z", "exactly 15 characters"),
        ("gstin", "2AAAPFU0939F1ZV", "This is not a GSTIN"),
        ("upi_id", "not a upi", "Enter a UPI id"),
        ("invoice_prefix", "TOO-LONG", "Use 1 to 6 letters"),
        ("timezone", "Mars/Olympus", "Choose a time zone"),
        ("phone", "call me", "phone number"),
        ("name", "", "may not be blank"),
    ],
)
def test_bad_settings_are_shown_beside_their_field_and_nothing_is_saved(client, shop, field, value, message):
    sign_in(client, shop["owner"])
    response = client.post_form("/admin/settings", settings_form(**{field: value}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = html.split(f'id="{field}-error">', 1)[1].split("</small>", 1)[0]
    assert message in error
    assert f'value="{value}"' in html or field in ("name",)  # what was typed is kept
    db.session.expire_all()
    store = db.session.get(Store, shop["store"].id)
    assert store.gstin is None and store.upi_id is None


def test_a_png_logo_is_stored_per_store_under_a_generated_name_and_served_as_png(client, shop):
    sign_in(client, shop["owner"])
    data = settings_form()
    data["logo"] = (io.BytesIO(image_bytes("PNG")), "../../evil.html")
    response = client.post_form("/admin/settings", data, content_type="multipart/form-data")
    assert response.status_code == 303
    store = db.session.get(Store, shop["store"].id)
    db.session.refresh(store)
    assert store.logo_path.startswith(store.uid + "/logo-") and store.logo_path.endswith(".png")
    served = client.get("/uploads/" + store.logo_path)
    assert served.status_code == 200
    assert served.content_type == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.data == image_bytes("PNG")


@pytest.mark.parametrize("fmt, kind", [("JPEG", "image/jpeg"), ("WEBP", "image/webp")])
def test_jpeg_and_webp_logos_are_accepted(client, shop, fmt, kind):
    sign_in(client, shop["owner"])
    data = settings_form()
    data["logo"] = (io.BytesIO(image_bytes(fmt)), "logo.png")  # the name lies; the content decides
    assert client.post_form("/admin/settings", data, content_type="multipart/form-data").status_code == 303
    store = db.session.get(Store, shop["store"].id)
    db.session.refresh(store)
    assert client.get("/uploads/" + store.logo_path).content_type == kind


def test_replacing_a_logo_deletes_the_old_file(client, shop, app):
    from services.documents import uploads

    sign_in(client, shop["owner"])
    for _ in range(2):
        data = settings_form()
        data["logo"] = (io.BytesIO(image_bytes("PNG")), "logo.png")
        client.post_form("/admin/settings", data, content_type="multipart/form-data")
    folder = uploads.upload_root() / shop["store"].uid
    assert len(list(folder.iterdir())) == 1


@pytest.mark.parametrize(
    "payload, filename, message",
    [
        (b"<html><script>alert(1)</script></html>", "logo.png", "Upload a JPEG, PNG or WebP image."),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "logo.svg",
         "Upload a JPEG, PNG or WebP image."),
        (image_bytes("GIF"), "logo.gif", "Upload a JPEG, PNG or WebP image."),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "logo.png", "The image file is damaged or incomplete."),
        (image_bytes("PNG") + b"\x00" * (5 * 1024 * 1024), "big.png", "The image is larger than 5 MB."),
    ],
)
def test_logos_that_are_not_small_real_images_are_refused(client, shop, payload, filename, message, app):
    from services.documents import uploads

    sign_in(client, shop["owner"])
    data = settings_form(name="Renamed")
    data["logo"] = (io.BytesIO(payload), filename)
    response = client.post_form("/admin/settings", data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    store = db.session.get(Store, shop["store"].id)
    assert store.logo_path is None and store.name == "Asha General Store"
    assert not (uploads.upload_root() / store.uid).exists()


def test_uploads_serve_only_names_the_app_generated(client, shop, app):
    from services.documents import uploads

    folder = uploads.upload_root() / shop["store"].uid
    folder.mkdir(parents=True)
    (folder / "page.html").write_bytes(b"<script>alert(1)</script>")
    (folder / "logo-0123456789abcdef.png").write_bytes(b"<script>alert(1)</script>")
    assert client.get(f"/uploads/{shop['store'].uid}/page.html").status_code == 404
    assert client.get(f"/uploads/{shop['store'].uid}/logo-0123456789abcdef.png").status_code == 404
    assert client.get(f"/uploads/{shop['store'].uid}/..%2f..%2fsecret_key").status_code == 404


# --------------------------------------------------------------------------- staff


def test_the_owner_invites_a_new_person_who_sets_a_password_through_the_reset_flow(client, shop, outbox):
    sign_in(client, shop["owner"])
    response = client.post_form("/admin/staff/invite", {"email": "Meena@Example.com", "role": "cashier"})
    assert response.status_code == 303
    invited = db.session.execute(db.select(User).filter_by(email="meena@example.com")).scalar_one()
    assert invited.is_verify is False
    assert accounts.membership_for(invited, shop["store"]).role == "cashier"
    [mail] = outbox()
    assert mail["Subject"] == "You have been added to Asha General Store"
    assert "http://localhost/forgot-password?email=meena@example.com" in text_of(mail)

    api = client.application.test_client()
    api.post("/api/forget-password/", json={"email": "meena@example.com"})
    code = last_code(outbox(), "meena@example.com", subject="Reset your password")
    api.post("/api/verify-forget-password-otp/", json={"email": "meena@example.com", "otp": code})
    api.post("/api/reset-password/", json={"email": "meena@example.com", "new_password": "Meena12345"})
    response = api.post("/api/login/", json={"email": "meena@example.com", "password": "Meena12345"})
    assert response.status_code == 200


def test_inviting_an_existing_account_adds_a_membership_only(client, shop, make_user, outbox):
    other = make_user(username="ravi")
    sign_in(client, shop["owner"])
    assert client.post_form("/admin/staff/invite", {"email": "ravi@example.com", "role": "manager"}).status_code == 303
    assert accounts.membership_for(other, shop["store"]).role == "manager"
    assert db.session.execute(db.select(db.func.count(User.id))).scalar() == 4


def test_inviting_someone_already_in_the_store_shows_an_error_beside_the_email(client, shop, outbox):
    sign_in(client, shop["owner"])
    response = client.post_form("/admin/staff/invite", {"email": "cashier@example.com", "role": "manager"})
    assert response.status_code == 422
    assert 'id="email-error">This person already works in this store.' in response.get_data(as_text=True)
    assert outbox() == []


def test_the_owner_changes_a_role_and_removes_a_member(client, shop):
    sign_in(client, shop["owner"])
    cashier = accounts.membership_for(shop["cashier"], shop["store"])
    assert client.post_form(f"/admin/staff/{cashier.id}/role", {f"m{cashier.id}-role": "manager"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Membership, cashier.id).role == "manager"
    assert client.post_form(f"/admin/staff/{cashier.id}/remove").status_code == 303
    db.session.expire_all()
    assert db.session.get(Membership, cashier.id) is None
    assert db.session.get(User, shop["cashier"].id) is not None  # the account stays


def test_a_store_always_keeps_one_owner(client, shop):
    sign_in(client, shop["owner"])
    mine = accounts.membership_for(shop["owner"], shop["store"])
    response = client.post_form(f"/admin/staff/{mine.id}/role", {f"m{mine.id}-role": "cashier"}, follow_redirects=True)
    assert "A store needs at least one owner." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Membership, mine.id).role == "owner"


def test_another_stores_membership_is_not_found(client, shop, make_user):
    stranger = make_user(username="stranger")
    theirs = accounts.membership_for(stranger, current_store_for(stranger))
    sign_in(client, shop["owner"])
    assert client.post_form(f"/admin/staff/{theirs.id}/remove").status_code == 404
    assert client.post_form(f"/admin/staff/{theirs.id}/role", {"role": "cashier"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Membership, theirs.id).role == "owner"


# --------------------------------------------------------------------------- store switcher


def test_a_member_of_two_stores_switches_between_them(client, shop, make_user):
    second_owner = make_user(username="second", store_name="Second Shop")
    second = current_store_for(second_owner)
    db.session.add(Membership(user_id=shop["cashier"].id, store_id=second.id, role="manager"))
    db.session.commit()
    sign_in(client, shop["cashier"])
    page = client.get("/admin/stores").get_data(as_text=True)
    assert "Second Shop" in page and 'id="store-switch"' in page
    response = client.post_form("/admin/stores/switch", {"store_id": str(second.id), "next": "/"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, shop["cashier"].id).current_store_id == second.id
    assert "Second Shop" in client.get("/").get_data(as_text=True)


def test_switching_to_a_store_you_do_not_belong_to_is_404(client, shop, make_user):
    other = current_store_for(make_user(username="other"))
    sign_in(client, shop["cashier"])
    assert client.post_form("/admin/stores/switch", {"store_id": str(other.id)}).status_code == 404
    db.session.expire_all()
    assert db.session.get(User, shop["cashier"].id).current_store_id == shop["store"].id
