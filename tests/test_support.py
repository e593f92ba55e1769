"""The test helpers themselves: users made for tests never collide."""

from tests.support import make_user, new_email, sign_in


def test_a_thousand_new_emails_are_all_distinct():
    # id(object()) gave the same number again as soon as the object was freed.
    emails = [new_email("rep") for _ in range(1000)]
    assert len(set(emails)) == 1000


def test_users_made_one_after_another_get_their_own_email(session):
    first, second = make_user(), make_user()
    assert first.email != second.email


def test_sign_in_switches_the_client_to_another_user(client):
    sign_in(client, "rep", name="Fran Former")
    assert "Fran Former" in client.get("/").get_data(as_text=True)
    sign_in(client, "manager", name="Mia Manager")
    html = client.get("/").get_data(as_text=True)
    assert "Mia Manager" in html and "Fran Former" not in html
