"""The rules of SPEC §3 for one member fact against the state it applies to, and its effect.

``check`` raises the ``LedgerError`` of the first rule a fact breaks; ``apply`` moves the state
on by a fact that passed. Both are pure functions of (state, fact).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from ledger import errors
from ledger.dates import add_months
from ledger.facts import (
    ADMITTED,
    BADGE_AWARDED,
    CARD_ISSUED,
    DIED,
    DOSSIER_RECORDED,
    EXEMPTED,
    EXEMPTION_ENDED,
    EXIT_TYPES,
    PROBATION_COMPLETED,
    RETRACTED,
    RETURNED,
    TRANSFERRED_IN,
    TRANSFERRED_OUT,
    WENT_AWAY,
    Fact,
)
from ledger.state import (
    AWAY,
    DEAD,
    EXITED,
    IN_TRANSIT,
    MINIMUM_AGE,
    NONE,
    PLACED,
    PROBATION_MONTHS,
    READMISSION_DELAY_MONTHS,
    MemberState,
)

# --- the rules --------------------------------------------------------------------------------


def check(state: MemberState, fact: Fact) -> None:
    """Raise the LedgerError of the first rule ``fact`` breaks when applied to ``state``."""
    rule = _RULES.get(fact.type)
    if rule is None:
        raise errors.InvalidFact(f"{fact.type} is not a member fact", fact=fact.id)
    rule(state, fact)


_STATUS_WORDS = {
    "not_member": "member is not a member",
    "died": "member has died",
    "expelled": "member was expelled",
    "removed": "member was removed",
    "resigned": "member resigned",
    "transferred_away": "member was transferred away",
}


def _where(state: MemberState) -> str:
    words = _STATUS_WORDS.get(state.status, f"member is {state.status}")
    preposition = "from" if state.phase not in (PLACED, IN_TRANSIT) else "in"
    return words + (f" ({preposition} {state.org})" if state.org else "")


def _need_placed(state: MemberState, fact: Fact) -> None:
    if state.phase == IN_TRANSIT:
        raise errors.InTransit(f"member is in transit to {state.to_org}", fact=fact.id)
    if state.phase != PLACED:
        raise errors.NotMember(f"{_where(state)} on {fact.on}", fact=fact.id)


def _need_member(state: MemberState, fact: Fact) -> None:
    if not state.is_member:
        raise errors.NotMember(f"{_where(state)} on {fact.on}", fact=fact.id)


def _need_official(state: MemberState, fact: Fact) -> None:
    _need_member(state, fact)
    if state.standing != "official":
        raise errors.NotOfficial(f"member is {state.standing} on {fact.on}", fact=fact.id)


def _check_admitted(state: MemberState, fact: Fact) -> None:
    if state.is_member or state.phase == AWAY:
        raise errors.AlreadyMember(f"{_where(state)} on {fact.on}", fact=fact.id)
    if state.phase == DEAD:
        raise errors.NotEligible(f"member died on {state.died_on}", fact=fact.id)
    if state.phase == EXITED:
        if state.readmissions >= 1:
            raise errors.ReadmissionLimit(
                "member was already re-admitted once; a member is re-admitted at most once",
                fact=fact.id,
            )
        assert state.exit_on is not None
        earliest = add_months(state.exit_on, READMISSION_DELAY_MONTHS)
        if fact.on < earliest:
            raise errors.NotEligible(
                f"member {state.exit_status} on {state.exit_on}; re-admission possible from "
                f"{earliest}",
                fact=fact.id,
            )
    birth = _birth_date(fact)
    if birth is not None and add_months(birth, 12 * MINIMUM_AGE) > fact.on:
        raise errors.UnderAge(f"born {birth}, under {MINIMUM_AGE} on {fact.on}", fact=fact.id)


def _check_probation_completed(state: MemberState, fact: Fact) -> None:
    _need_placed(state, fact)
    if state.standing != "probationary":
        raise errors.Conflict(f"member is already {state.standing}", fact=fact.id)
    assert state.probation_start is not None
    earliest = add_months(state.probation_start, PROBATION_MONTHS)
    if fact.on < earliest:
        raise errors.TooEarly(
            f"probation started {state.probation_start}; it can be completed from {earliest}",
            fact=fact.id,
        )


def _check_transferred_out(state: MemberState, fact: Fact) -> None:
    _need_placed(state, fact)
    to_org = fact.data.get("to_org")
    if to_org is not None and to_org == state.org:
        raise errors.Conflict(f"member is already in {to_org}", fact=fact.id)


def _check_transferred_in(state: MemberState, fact: Fact) -> None:
    origin = fact.data.get("from_external")
    if state.phase == PLACED:
        raise errors.AlreadyMember(f"{_where(state)} on {fact.on}", fact=fact.id)
    if state.phase == IN_TRANSIT:
        if origin is not None or fact.data.get("org") != state.to_org:
            raise errors.WrongDestination(
                f"member was transferred out of {state.org} to {state.to_org} "
                f"(fact {state.transfer_fact})",
                fact=fact.id,
                conflicting=state.transfer_fact,
            )
        return
    if state.phase in (EXITED, DEAD):
        raise errors.NotMember(f"{_where(state)} on {fact.on}", fact=fact.id)
    if origin is None:
        raise errors.InvalidFact(
            "from_external is required for a member arriving from outside the ledger",
            fact=fact.id,
        )
    if state.phase == NONE:
        missing = [
            name
            for name in ("person", "youth_union", "occupation", "standing", "admitted_on")
            if fact.data.get(name) is None
        ]
        if missing:
            raise errors.InvalidFact(
                "a member unknown to the ledger arriving from outside needs " + ", ".join(missing),
                fact=fact.id,
            )


def _check_expelled(state: MemberState, fact: Fact) -> None:
    _need_official(state, fact)


def _check_exit(state: MemberState, fact: Fact) -> None:
    _need_member(state, fact)


def _check_badge(state: MemberState, fact: Fact) -> None:
    years = int(fact.data["years"])
    if years in state.badges:
        raise errors.DuplicateBadge(
            f"the {years}-year badge was awarded on {state.badges[years]}", fact=fact.id
        )
    if state.phase == NONE:
        raise errors.NotMember(f"member is not a member on {fact.on}", fact=fact.id)
    if state.phase == DEAD:
        assert state.died_on is not None
        age = state.unfrozen_party_age(add_months(state.died_on, 12))
        if age is None or age < years:
            raise errors.NotEligible(
                f"posthumous {years}-year badge needs party age {years} at 12 months after the "
                f"death on {state.died_on}; it would be {age}",
                fact=fact.id,
            )
        return
    if not state.is_member:
        raise errors.NotEligible(f"{_where(state)} on {fact.on}", fact=fact.id)
    if fact.data.get("early"):
        horizon = add_months(fact.on, 24 if years >= 70 else 12)
        age = state.party_age(horizon)
        if age is None or age < years:
            raise errors.NotEligible(
                f"early {years}-year badge needs party age {years} by {horizon}; it is {age}",
                fact=fact.id,
            )
        return
    age = state.party_age(fact.on)
    if age is None or age < years:
        raise errors.NotEligible(
            f"{years}-year badge needs party age {years} on {fact.on}; it is {age}", fact=fact.id
        )


def _check_dossier(state: MemberState, fact: Fact) -> None:
    if not state.ever_member:
        raise errors.NotMember(f"member is not a member on {fact.on}", fact=fact.id)


def _check_card(state: MemberState, fact: Fact) -> None:
    _need_official(state, fact)


def _check_flag_on(state: MemberState, fact: Fact) -> None:
    _need_placed(state, fact)
    on = state.away_since is not None if fact.type == WENT_AWAY else state.exempt
    if on:
        raise errors.Conflict(f"member is already {_flag_name(fact.type)}", fact=fact.id)


def _check_flag_off(state: MemberState, fact: Fact) -> None:
    _need_member(state, fact)
    on = state.away_since is not None if fact.type == RETURNED else state.exempt
    if not on:
        raise errors.Conflict(f"member is not {_flag_name(fact.type)}", fact=fact.id)


def _flag_name(fact_type: str) -> str:
    return "away" if fact_type in (WENT_AWAY, RETURNED) else "exempted"


def _birth_date(fact: Fact) -> date | None:
    person = fact.data.get("person") or {}
    value = person.get("birth_date")
    return date.fromisoformat(value) if isinstance(value, str) else value


_RULES = {
    ADMITTED: _check_admitted,
    PROBATION_COMPLETED: _check_probation_completed,
    TRANSFERRED_OUT: _check_transferred_out,
    TRANSFERRED_IN: _check_transferred_in,
    BADGE_AWARDED: _check_badge,
    "member.expelled": _check_expelled,
    "member.removed": _check_exit,
    "member.resigned": _check_exit,
    DIED: _check_exit,
    DOSSIER_RECORDED: _check_dossier,
    WENT_AWAY: _check_flag_on,
    EXEMPTED: _check_flag_on,
    RETURNED: _check_flag_off,
    EXEMPTION_ENDED: _check_flag_off,
    CARD_ISSUED: _check_card,
}


# --- applying a valid fact --------------------------------------------------------------------


def apply(state: MemberState, fact: Fact) -> None:
    """Move ``state`` on by ``fact``, which ``check`` has accepted."""
    kind = fact.type
    data = fact.data
    if kind == ADMITTED:
        if state.phase == EXITED and state.exit_on is not None:
            state.gap_days += (fact.on - state.exit_on).days
            state.readmissions += 1
        if state.first_admission is None:
            state.first_admission = fact.on
        state.admissions += 1
        state.phase, state.standing, state.org = PLACED, "probationary", str(data["org"])
        state.exit_status = state.exit_on = None
        state.probation_start, state.entry_fact, state.since = fact.on, fact.id, fact.on
    elif kind == PROBATION_COMPLETED:
        state.standing, state.since = "official", fact.on
    elif kind == TRANSFERRED_OUT:
        _clear_flags(state)
        state.transfer_fact, state.transfer_on, state.since = fact.id, fact.on, fact.on
        to_org = data.get("to_org")
        if to_org is not None:
            state.phase, state.to_org = IN_TRANSIT, str(to_org)
        else:
            state.phase, state.to_org = AWAY, None
    elif kind == TRANSFERRED_IN:
        if state.phase == NONE:
            admitted_on = _as_date(data["admitted_on"])
            state.first_admission = admitted_on
            state.standing = str(data["standing"])
            if state.standing == "probationary":
                state.probation_start, state.entry_fact = admitted_on, fact.id
        state.phase, state.org, state.to_org, state.since = PLACED, str(data["org"]), None, fact.on
        state.transfer_fact = state.transfer_on = None
    elif kind in EXIT_TYPES:
        _clear_flags(state)
        state.phase, state.exit_status, state.exit_on, state.to_org = (
            EXITED,
            EXIT_TYPES[kind],
            fact.on,
            None,
        )
    elif kind == DIED:
        _clear_flags(state)
        state.phase, state.died_on, state.to_org = DEAD, fact.on, None
    elif kind == BADGE_AWARDED:
        state.badges[int(data["years"])] = fact.on
    elif kind == DOSSIER_RECORDED:
        state.dossier_on = state.dossier_on or fact.on
    elif kind == WENT_AWAY:
        state.away_since, state.away_fact = fact.on, fact.id
    elif kind == RETURNED:
        state.away_since = state.away_fact = None
    elif kind == EXEMPTED:
        state.exempt = True
    elif kind == EXEMPTION_ENDED:
        state.exempt = False


def _clear_flags(state: MemberState) -> None:
    state.away_since = state.away_fact = None
    state.exempt = False


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def retraction_target(
    facts: Sequence[Fact], retraction: Fact, owner: str, retractable: Collection[str] = ()
) -> Fact:
    """The fact ``retraction`` retracts among ``facts`` (a member's or an org's), or the
    refusal of SPEC §3: unknown (``unknown_fact``), itself a retraction or not of a
    ``retractable`` type (``invalid_fact``), already retracted (``conflict``)."""
    target_id = retraction.target
    target = next((f for f in facts if f.id == target_id), None)
    if target is None:
        raise errors.UnknownFact(f"fact {target_id} is not a fact of {owner}", fact=retraction.id)
    if target.type == RETRACTED:
        raise errors.InvalidFact(
            f"{target_id} is a retraction; a retraction cannot be retracted", fact=retraction.id
        )
    if retractable and target.type not in retractable:
        raise errors.InvalidFact(
            f"{target_id} is {target.type}; only member facts and count declarations can be "
            "retracted",
            fact=retraction.id,
        )
    if any(f.type == RETRACTED and f.target == target_id for f in facts):
        raise errors.Conflict(f"fact {target_id} is already retracted", fact=retraction.id)
    return target
