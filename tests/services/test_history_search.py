"""History search finds what people type: any part of a job ticket, SKU, serial or the
inspector's name, whatever its case; pages follow each other without gaps or repeats."""

from __future__ import annotations

from qcstation.domain.stages import Stage
from qcstation.domain.summaries import SearchFilter
from qcstation.domain.users import Role, User
from qcstation.services import accounts, inspections
from qcstation.services.context import Station


def ids(station: Station, **kw: object) -> set[str]:
    return {s.id for s in inspections.search(station, SearchFilter(**kw))}  # type: ignore[arg-type]


def test_text_matches_any_part_of_any_code_in_any_case(station: Station, inspector: User) -> None:
    a = inspections.start(
        station, inspector, Stage.CASTING, "JT-26-004711", "RG-SOL-0412", "SN552901"
    )
    b = inspections.start(
        station, inspector, Stage.POLISHING, "JT-26-009528", "BR-TEN-0930", "SN501424"
    )
    assert ids(station, text="4711") == {a.id}  # the end of a job ticket
    assert ids(station, text="jt-26-0047") == {a.id}  # lower case, the start
    assert ids(station, text="rg-sol") == {a.id}  # part of a SKU
    assert ids(station, text="sn5") == {a.id, b.id}  # part of two serials
    assert ids(station, text="  SN501424 ") == {b.id}  # a whole serial, as a scanner types it
    assert ids(station, text="no such piece") == set()


def test_text_and_inspector_box_match_people_by_part_of_their_name(
    station: Station, admin: User, inspector: User
) -> None:
    accounts.create_user(station, admin, "ivan", "ivan-password-1", Role.INSPECTOR, "Ivan Ivanov")
    ivan = accounts.login(station, "ivan", "ivan-password-1")
    a = inspections.start(station, inspector, Stage.CASTING, "JT-1", "RG-1", "SN-A")
    b = inspections.start(station, ivan, Stage.CASTING, "JT-2", "RG-1", "SN-B")
    assert ids(station, text="IVANOV") == {b.id}
    assert ids(station, inspector="ines") == {a.id}  # the user name, as before
    assert ids(station, inspector="inspector") == {a.id}  # part of "Ines Inspector"
    assert ids(station, inspector="i") == {a.id, b.id}
    assert ids(station, inspector="nobody") == set()


def test_wildcards_typed_by_a_person_are_taken_literally(station: Station, inspector: User) -> None:
    a = inspections.start(station, inspector, Stage.CASTING, "JT-10%", "RG_1", "SN-1")
    inspections.start(station, inspector, Stage.CASTING, "JT-100", "RGX1", "SN-2")
    assert ids(station, text="10%") == {a.id}
    assert ids(station, text="rg_1") == {a.id}


def test_pages_of_a_text_search_follow_each_other(station: Station, inspector: User) -> None:
    """Keyset paging with a text: every match once, newest first, across pages."""
    made = [
        inspections.start(station, inspector, Stage.CASTING, f"JT-{n:03}", "RG-PAGE", f"SN-{n}").id
        for n in range(7)
    ]
    inspections.start(station, inspector, Stage.CASTING, "JT-OTHER", "BR-1", "SN-X")
    seen: list[str] = []
    after = None
    while True:
        page = inspections.search(station, SearchFilter(text="rg-page", limit=3, after=after))
        seen += [r.id for r in page]
        if len(page) < 3:
            break
        after = (page[-1].started_at, page[-1].id)
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen))
    newest_first = inspections.search(station, SearchFilter(text="RG-PAGE"))
    assert [r.id for r in newest_first] == seen
