from tests.support import LedgerHarness, admitted, fact


def test_an_admitted_member_is_probationary_in_the_admitting_cell(ledger: LedgerHarness) -> None:
    ledger.tree()
    assert ledger.record(admitted("m1", "c1", "2020-03-01")) == "accepted"
    view = ledger.view("m1")
    assert view["status"] == "probationary"
    assert view["org"] == "c1"
    assert ledger.code(fact("probation_completed", "m1", "2021-02-28")) == "too_early"
