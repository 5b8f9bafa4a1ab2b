"""Whose official letter LKPP asks for (SOP-015 steps 5-7). Pure.

A letter signed by the requester's side's officials (PA/KPA, PPK, a dinas's head, a
company's director or leader) is what the requester sends: LKPP asking for it is a data
request relayed to the requester. Only a letter from the unit's own head or officials
(Kepala LPSE, UKPBJ) is held for staff."""

from __future__ import annotations

import pytest

from mailbot.rules import Rules, load_rules


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules()  # as shipped, the second opinion included


def verdict(rules: Rules, text: str) -> str | None:
    found = rules.classify_lkpp("Re: [LPSE-T #2026-00001] Eskalasi: Reset akun", text)
    return found.value if found else None


def test_the_issues_request_signed_by_pa_kpa_goes_to_the_requester(rules):
    text = ("Agar dapat kami tindak lanjuti, mohon dilengkapi data dukung berupa NIP dan surat permohonan "
            "reset akun yang ditandatangani PA/KPA.")
    assert verdict(rules, text) == "need_info"


@pytest.mark.parametrize("official", ["PPK", "direktur", "pimpinan perusahaan"])
def test_letters_of_the_requesters_side_are_asked_of_the_requester(rules, official):
    text = f"Mohon lampirkan surat permohonan yang ditandatangani {official} beserta scan KTP agar dapat kami proses."
    assert verdict(rules, text) == "need_info"


@pytest.mark.parametrize("official", ["Kepala LPSE", "Kepala UKPBJ"])
def test_a_letter_of_the_units_own_head_stays_with_staff(rules, official):
    text = (f"Agar dapat kami tindak lanjuti, mohon dilengkapi surat permohonan reset akun yang ditandatangani "
            f"{official}.")
    assert verdict(rules, text) is None
