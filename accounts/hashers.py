"""The password hasher: Argon2id with the parameters chosen for this application (README, "Security").

Django's Argon2PasswordHasher (argon2id) takes 100 MiB and 8 lanes per hash: above OWASP's
minimums, but a login then lifts a gunicorn worker of ~70 MB to ~170 MB for a moment, over the
150 MB a worker is given (issue 17), and 8 lanes queue on a 2-core machine. These parameters are
OWASP's second configuration for argon2id (m=46 MiB, t=1, p=1) with twice its passes: stronger than
every one of OWASP's minimum configurations, and a login's peak stays inside the worker's budget.
Pinned here, so that a Django upgrade does not change them unnoticed. A stored hash made with other
parameters is made again with these at the user's next login (Django's must_update).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher

# OWASP Password Storage Cheat Sheet, argon2id: m=47104 (46 MiB), t=1, p=1 or m=19456 (19 MiB), t=2, p=1 ...
OWASP_MINIMUM = {"memory_cost": 19456, "time_cost": 2, "parallelism": 1}


class MdoArgon2PasswordHasher(Argon2PasswordHasher):
    # Same algorithm name as Django's: the hashes stored so far are verified (and upgraded) by this one.
    algorithm = "argon2"
    memory_cost = 47104  # KiB: 46 MiB
    time_cost = 2
    parallelism = 1
