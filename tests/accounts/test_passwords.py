"""Password policy and hashing: at least 10 characters, common ones refused, long ones welcome, argon2id."""

from __future__ import annotations

import pytest

from app.accounts.passwords import hash_password, password_problem, verify_password


@pytest.mark.parametrize("password", ["", "short", "nine char"])
def test_short_passwords_are_refused(password):
    assert password_problem(password) == "Use at least 10 characters."


@pytest.mark.parametrize(
    "password", ["password123", "1234567890", "qwertyuiop", "iloveyou12", "aaaaaaaaaaaa", "abababababab"]
)
def test_common_or_repetitive_passwords_are_refused(password):
    assert password_problem(password) == "This password is too common. Choose one that is harder to guess."


def test_password_containing_the_email_is_refused():
    assert (
        password_problem("camille-2026-secret", email="camille@example.org")
        == "Do not use your e-mail address in your password."
    )


@pytest.mark.parametrize("length", [10, 64, 200, 1024])
def test_long_pass_phrases_are_accepted(length):
    password = ("correct horse battery staple " * 40)[:length]
    assert password_problem(password) is None


def test_absurdly_long_passwords_are_refused():
    assert password_problem("x" * 1025 + "abcd") == "Use at most 1024 characters."


def test_hash_is_argon2id_and_verifies_only_the_right_password():
    hashed = hash_password("correct horse battery staple")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct horse battery staple")
    assert not verify_password(hashed, "correct horse battery stapler")
    assert not verify_password(None, "correct horse battery staple")
    assert not verify_password(hashed, "\ud800 not encodable")
