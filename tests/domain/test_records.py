from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcstation.domain.records import canonical_json, record_hash


def test_one_spelling_per_value() -> None:
    assert canonical_json({"b": 1.0, "a": [2, "x"]}) == '{"a":[2,"x"],"b":1}'
    cet = timezone(timedelta(hours=1))
    assert (
        canonical_json(datetime(2026, 1, 1, 13, tzinfo=cet)) == '"2026-01-01T12:00:00.000000+00:00"'
    )
    assert canonical_json(datetime(2026, 1, 1, 12)) == canonical_json(
        datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
    )
    assert canonical_json("µm 750‰") == '"µm 750‰"'


def test_non_finite_numbers_are_refused() -> None:
    with pytest.raises(ValueError):
        canonical_json(float("nan"))


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_hash_is_stable_under_key_order(value: object) -> None:
    if isinstance(value, dict):
        reordered = dict(reversed(list(value.items())))
        assert record_hash(value) == record_hash(reordered)
    assert len(record_hash(value)) == 64
