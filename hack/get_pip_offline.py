"""Stand-in for pip's get-pip.py bootstrap script, used by ansible-test.

ansible-test downloads get-pip.py from a host this project's machines cannot reach, but it
first looks in its cache (~/.ansible/test/cache/get_pip_<version>.py). hack/sanity.sh seeds
that cache with this file. It installs the pip bundled with Python (ensurepip), then lets that
pip install what ansible-test asked for from the package registry.
"""

import ensurepip
import os
import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

ensurepip.bootstrap(upgrade=True)
# ensurepip points PIP_CONFIG_FILE at /dev/null while it runs and leaves it set, which would
# hide the machine's pip configuration (index, certificates) from the install below.
os.environ.pop("PIP_CONFIG_FILE", None)
arguments = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
if arguments:
    subprocess.check_call([sys.executable, "-m", "pip", "install", *arguments])
