"""Blueprint registration: HTML areas, then the JSON surfaces (CSRF-exempt; they authenticate by Bearer token)."""
from __future__ import annotations

from flask import Flask

from extensions import csrf


def register_blueprints(app: Flask) -> None:
    from blueprints.admin import bp as admin_bp
    from blueprints.api.accounts import bp as accounts_api_bp
    from blueprints.api.billing_v1 import bp as billing_v1_bp
    from blueprints.api.docs import bp as api_docs_bp
    from blueprints.api.jewellery import bp as jewellery_bp
    from blueprints.api.namaste import bp as namaste_bp
    from blueprints.appointments import bp as appointments_bp
    from blueprints.auth import bp as auth_bp
    from blueprints.bills import bp as bills_bp
    from blueprints.commissions import bp as commissions_bp
    from blueprints.coupons import bp as coupons_bp
    from blueprints.documents import bp as documents_bp
    from blueprints.expenses import bp as expenses_bp
    from blueprints.imports import bp as imports_bp
    from blueprints.inventory import bp as inventory_bp
    from blueprints.jewellery import bp as jewellery_web_bp
    from blueprints.labels import bp as labels_bp
    from blueprints.main import bp as main_bp
    from blueprints.memberships import bp as memberships_bp
    from blueprints.parties import bp as parties_bp
    from blueprints.pos import bp as pos_bp
    from blueprints.purchases import bp as purchases_bp
    from blueprints.report_pages import bp as report_pages_bp
    from blueprints.reports import bp as reports_bp
    from blueprints.staff import bp as staff_bp
    from blueprints.stock import bp as stock_bp
    from blueprints.uploads import bp as uploads_bp

    for blueprint in (main_bp, auth_bp, documents_bp, admin_bp, uploads_bp, pos_bp, bills_bp, jewellery_web_bp,
                      purchases_bp, inventory_bp, stock_bp, labels_bp, imports_bp, reports_bp, report_pages_bp,
                      expenses_bp, coupons_bp, parties_bp, commissions_bp, staff_bp, appointments_bp,
                      memberships_bp):
        app.register_blueprint(blueprint)
    for blueprint in (accounts_api_bp, billing_v1_bp, namaste_bp, jewellery_bp, api_docs_bp):
        csrf.exempt(blueprint)
        app.register_blueprint(blueprint)
    from blueprints.hooks import register_hooks

    register_hooks(app)
    from blueprints.guards import register_guards

    register_guards(app)
