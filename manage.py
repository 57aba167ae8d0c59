#!/usr/bin/env python
import importlib
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mdo.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])  # reads the environment, strictly
    except ImproperlyConfigured as exc:
        # One clear line instead of a traceback (Django would otherwise go on and fail later
        # with a less telling error).
        sys.exit(f"Configuration error: {exc}\nSee the README, section Configuration "
                 "(for development: DEBUG=1).")

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
