"""The password hasher of production: argon2id at or above OWASP's minimums, pinned (accounts/hashers.py)."""

from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, identify_hasher, make_password

import mdo.settings as production_settings
from accounts.hashers import OWASP_MINIMUM, MdoArgon2PasswordHasher

HASHERS = production_settings.PASSWORD_HASHERS


def test_production_hashes_with_it_first():
    assert HASHERS[0] == "accounts.hashers.MdoArgon2PasswordHasher"


def test_it_is_argon2id_at_or_above_owasps_minimum():
    hasher = MdoArgon2PasswordHasher()
    encoded = hasher.encode("a-long-test-password-1", hasher.salt())
    assert encoded.startswith("argon2$argon2id$v=19$m=47104,t=2,p=1$")
    assert hasher.memory_cost >= OWASP_MINIMUM["memory_cost"]
    assert hasher.time_cost >= OWASP_MINIMUM["time_cost"]
    assert hasher.parallelism >= OWASP_MINIMUM["parallelism"]
    # Every one of OWASP's equivalent configurations is met: memory x passes at least theirs.
    assert hasher.memory_cost * hasher.time_cost >= 47104 * 1


def test_a_hash_of_djangos_parameters_still_verifies_and_is_made_again(settings):
    settings.PASSWORD_HASHERS = HASHERS
    old = Argon2PasswordHasher().encode("a-long-test-password-1", "somesaltsomesalt")
    assert isinstance(identify_hasher(old), MdoArgon2PasswordHasher)
    upgraded = []
    assert check_password("a-long-test-password-1", old, setter=upgraded.append)
    assert upgraded == ["a-long-test-password-1"]
    assert "m=47104,t=2,p=1" in make_password("a-long-test-password-1")
