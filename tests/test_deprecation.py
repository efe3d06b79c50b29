"""The one rule for changed public names: they keep working and say what to write instead."""

import inspect
import warnings

import pytest

from skfairtune._deprecation import deprecated, keyword_only


@deprecated("old_sum", "new_sum(a, b)")
def old_sum(a, b, *, scale=1):
    """Add, then scale."""
    return (a + b) * scale


class Thing:
    @deprecated("Thing.old", "Thing.new()")
    def old(self, x):
        return self.new() + x

    def new(self):
        return 10


MESSAGE = "{} is deprecated and will be removed in a future release; use {}."


def test_a_deprecated_function_warns_and_still_works():
    with pytest.warns(FutureWarning) as record:
        assert old_sum(1, 2, scale=3) == 9
    assert [str(w.message) for w in record] == [MESSAGE.format("old_sum", "new_sum(a, b)")]
    assert record[0].filename == __file__  # the warning points at the caller


def test_a_deprecated_method_warns_and_still_works():
    with pytest.warns(FutureWarning, match=r"^Thing\.old is deprecated and will be removed "
                      r"in a future release; use Thing\.new\(\)\.$"):
        assert Thing().old(1) == 11


def test_the_wrapper_keeps_the_name_the_docstring_and_the_signature():
    assert old_sum.__name__ == "old_sum" and old_sum.__doc__ == "Add, then scale."
    assert str(inspect.signature(old_sum)) == "(a, b, *, scale=1)"


def test_it_warns_on_every_call():
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        for _ in range(2):
            Thing().old(0)
    assert len(record) == 2


@keyword_only("group")
def rate(y, *, group, weight=None):
    return (y, group, weight)


def test_keyword_only_maps_positions_to_the_names_and_warns():
    with pytest.warns(FutureWarning, match=r"Passing group to rate by position.*group=\.\.\."):
        assert rate(1, "a", weight=2) == (1, "a", 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert rate(1, group="a") == (1, "a", None)


def test_keyword_only_refuses_a_parameter_given_twice_or_too_many():
    with pytest.warns(FutureWarning), pytest.raises(
            TypeError, match=r"rate\(\) got multiple values for argument 'group'"):
        rate(1, "a", group="b")
    with pytest.warns(FutureWarning), pytest.raises(TypeError, match="2 positional"):
        rate(1, "a", "b")
