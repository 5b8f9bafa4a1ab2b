"""The store's import leaves numpy out (sqlite-utils would take it, mailbot stores no numpy
values) and numpy still importable for the reports' charts."""

import subprocess
import sys

import pytest

from mailbot.io.quiet_import import without


def test_a_fresh_process_imports_the_daemon_without_numpy_and_can_still_chart():
    code = ("import sys, os\n"
            "import mailbot.daemon.wiring, mailbot.daemon.sender\n"
            "print('numpy' in sys.modules, len(os.listdir('/proc/self/task')))\n"
            "import numpy, matplotlib\n"
            "print(numpy.zeros(2).sum())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "1", "0.0"]  # no numpy, no OpenBLAS thread; then numpy as usual


def test_a_hidden_package_raises_import_error_inside_and_comes_back_after():
    name = "mailbot_test_never_imported_pkg"
    with without(name), pytest.raises(ImportError):
        __import__(name)
    assert name not in sys.modules
    with without("sys"):  # already imported: left alone
        assert sys.modules["sys"] is sys
