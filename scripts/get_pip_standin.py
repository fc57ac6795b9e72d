"""Offline stand-in for ansible-test's get-pip bootstrap script.

ansible-test bootstraps pip into every virtual environment it creates by running a
``get-pip.py`` that it downloads from a host this machine cannot reach, caching it as
``~/.ansible/test/cache/get_pip_<X_Y>.py``. scripts/setup.sh copies this file there.

Same command line as get-pip.py (``get_pip.py [pip install options] [packages]``): it
puts the pip wheel that ships with this Python's own ``ensurepip`` on ``sys.path`` and
runs ``pip install`` with the given arguments. The get-pip-only options
``--no-setuptools`` and ``--no-wheel`` are dropped. The pinned pip release ansible-test
asks for is then installed from the package index like any other package.
"""

import glob
import os
import runpy
import sys

GET_PIP_ONLY_OPTIONS = ("--no-setuptools", "--no-wheel")


def _version_key(path):
    version = os.path.basename(path).split("-")[1]
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


def bundled_pip_wheel():
    """Path of the newest pip wheel bundled with this interpreter, or None."""
    candidates = []
    try:
        import ensurepip

        candidates += glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl"))
    except ImportError:
        pass
    # Debian's python3-venv keeps the wheels outside the standard library.
    candidates += glob.glob("/usr/share/python-wheels/pip-*.whl")
    return max(candidates, key=_version_key) if candidates else None


def main():
    wheel = bundled_pip_wheel()
    if wheel is None:
        sys.exit("get_pip stand-in: no bundled pip wheel found for %s (ensurepip is missing)" % sys.executable)
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]
    sys.path.insert(0, wheel)
    sys.argv = ["pip", "install"] + args
    runpy.run_module("pip", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
