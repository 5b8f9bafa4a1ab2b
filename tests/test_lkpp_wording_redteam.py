"""Constructions of LKPP replies found missing by a red-team held-out set (SPEC E13-E17).

Each case is a construction, in words other than the held-out replies that showed the
gap, with traps that must stay with staff or in their own class.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from mailbot.rules import Rules, load_rules
from tests.test_lkpp_classifier import SUBJECT, classify


@pytest.fixture(scope="module")
def rules() -> Rules:
    return replace(load_rules(), second_opinion=None)


# A case waiting its turn, written as a verb ("masih antri", "mengantre"): progress (E16).
QUEUED = [
    ("status", "Tiketnya masih antri di tim developer pak."),
    ("status", "Laporan Bapak masih mengantre di Direktorat Pengembangan Sistem."),
    ("status", "Pak, msh ngantri ya di tim infra, hari ini ramai."),
    # a fix of one part, the rest waiting its turn: progress, never a solution
    ("status", "Akun sudah kami aktifkan. Untuk kendala upload masih antri di tim developer."),
    # a question or a condition is no progress
    ("need_info", "Apakah penyedia masih antri di loket verifikasi?"),  # a question about the user
    ("none", "Apabila masih antri, silakan hubungi kami kembali."),
]


@pytest.mark.parametrize(("expected", "text"), QUEUED)
def test_queued_is_progress(rules: Rules, expected: str, text: str) -> None:
    assert classify(rules, SUBJECT, text) == expected
