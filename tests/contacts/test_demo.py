import phonenumbers
from sqlalchemy import text

from crm_web.core.db import db


def _empty_tables():
    db.session.execute(text("TRUNCATE contacts, companies, users CASCADE"))
    db.session.commit()


def test_seed_demo_loads_realistic_contacts_with_many_smiths(app):
    """Seeding commits (COPY), so it runs in its own scratch schema-free way: truncate after."""
    from crm_web.tools.demo import seed_demo

    with app.app_context():
        _empty_tables()  # what another test left committed is not the seed's
        try:
            seed_demo(contacts=2000, companies=50, echo=lambda *_: None)
            rows = db.session.execute(
                text("SELECT last_name, emails, phones, company_id FROM contacts")
            ).all()
            assert len(rows) == 2000
            smiths = [r for r in rows if r.last_name == "Smith"]
            assert 40 < len(smiths) < 250
            phones = [p for r in rows for p in r.phones][:200]
            assert phones and all(
                phonenumbers.is_valid_number(phonenumbers.parse(p)) for p in phones
            )
            assert sum(1 for r in rows if r.company_id) > 1500
            assert db.session.execute(text("SELECT count(*) FROM companies")).scalar() == 50
        finally:
            _empty_tables()
            db.session.remove()


def test_seed_demo_fills_the_new_fields_with_values_the_services_accept(app):
    """Job titles, websites, phones and industries, each as the create form would store it."""
    from crm_web.core import validation as v
    from crm_web.tools.demo import seed_demo

    with app.app_context():
        _empty_tables()
        try:
            seed_demo(contacts=200, companies=50, echo=lambda *_: None)
            titles = db.session.execute(text("SELECT job_title FROM contacts")).scalars().all()
            assert sum(1 for t in titles if t) > 100
            companies = db.session.execute(
                text("SELECT website, phone, industry FROM companies")
            ).all()
            assert all(v.url(c.website) == c.website for c in companies if c.website)
            assert all(v.phone(c.phone, "US") == c.phone for c in companies if c.phone)
            assert sum(1 for c in companies if c.industry) > 25
        finally:
            _empty_tables()
            db.session.remove()
