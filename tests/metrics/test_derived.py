"""make_derived_metric and the generated metrics: fairlearn's names and numbers.

fairlearn is the oracle: random labels, scores, groups (one or two columns,
a group that lacks a class) and weights give the same number to 1e-12, or an
error of the same type in both.
"""

import functools
import inspect
import pickle

import fairlearn.metrics as flm
import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st

import skfairtune.metrics as sfm
from skfairtune.metrics import _derived

from .conftest import assert_same, outcome, parameters

GENERATED = sorted(flm._generated_metric_dict)


def test_every_public_name_of_fairlearn_metrics_is_here():
    assert [name for name in flm.__all__ if not hasattr(sfm, name)] == []
    assert set(flm.__all__) <= set(sfm.__all__)


def test_generated_metrics_are_fairlearns_list_each_with_its_name():
    assert sorted(_derived.GENERATED_METRICS) == GENERATED
    for name in GENERATED:
        # the module-level name is the table's entry, and is named after it
        assert getattr(_derived, name) is _derived.GENERATED_METRICS[name]
        assert getattr(sfm, name).__name__ == name


def test_make_derived_metric_has_fairlearns_signature():
    assert parameters(sfm.make_derived_metric) == parameters(flm.make_derived_metric)
    assert parameters(sfm.accuracy_score_difference) == parameters(
        flm.accuracy_score_difference)


def _scores(name):
    return name.startswith(("roc_auc", "log_loss"))


@st.composite
def frames(draw):
    n = draw(st.integers(4, 40))
    y = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    pred = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    score = np.array(draw(st.lists(st.floats(0.01, 0.99), min_size=n, max_size=n)))
    first = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n))
    two = draw(st.booleans())
    groups = ({"sex": first, "age": draw(st.lists(st.sampled_from([1, 2]), min_size=n,
                                                    max_size=n))} if two else first)
    weight = draw(st.one_of(st.none(), st.lists(st.floats(0.1, 5), min_size=n,
                                                max_size=n)))
    return y, pred, score, groups, weight


@settings(max_examples=120, deadline=None)
@given(data=frames(), name=st.sampled_from(GENERATED),
       method=st.sampled_from(["between_groups", "to_overall"]))
def test_generated_metrics_match_fairlearn(data, name, method):
    y, pred, score, groups, weight = data
    kwargs = {"sensitive_features": groups}
    if weight is not None:
        kwargs["sample_weight"] = weight
    if name.endswith(("difference", "ratio")):
        kwargs["method"] = method
    y_pred = score if _scores(name) else pred
    ours = outcome(getattr(sfm, name), y, y_pred, **kwargs)
    theirs = outcome(getattr(flm, name), y, y_pred, **kwargs)
    assert_same(ours, theirs)


@settings(max_examples=40, deadline=None)
@given(data=frames(), transform=st.sampled_from(_derived.TRANSFORMS),
       beta=st.sampled_from([0.5, 2.0]))
def test_make_derived_metric_matches_fairlearn_with_bound_arguments(data, transform, beta):
    y, pred, _, groups, weight = data
    ours = sfm.make_derived_metric(metric=skm.fbeta_score, transform=transform)
    theirs = flm.make_derived_metric(metric=skm.fbeta_score, transform=transform)
    kwargs = {"sensitive_features": groups, "beta": beta, "zero_division": 0}
    if weight is not None:
        kwargs["sample_weight"] = weight
    assert_same(outcome(ours, y, pred, **kwargs), outcome(theirs, y, pred, **kwargs))


def test_derived_metric_is_the_frames_method():
    y, p = [0, 1, 1, 0, 1, 1], [0, 1, 0, 0, 1, 1]
    groups, weight = ["a", "a", "a", "b", "b", "b"], [1, 2, 1, 3, 1, 1]
    frame = sfm.MetricFrame(metrics=skm.recall_score, y_true=y, y_pred=p,
                            sensitive_features=groups,
                            sample_params={"sample_weight": weight})
    derived = sfm.make_derived_metric(metric=skm.recall_score, transform="ratio")
    assert derived(y, p, sensitive_features=groups, sample_weight=weight,
                   method="to_overall") == frame.ratio(method="to_overall")
    # sample_param_names=[]: the weights are passed whole, so they cannot be
    # split by group and the metric refuses them
    whole = sfm.make_derived_metric(metric=skm.recall_score, transform="group_min",
                                    sample_param_names=[])
    with pytest.raises(ValueError):
        whole(y, p, sensitive_features=groups, sample_weight=weight)


@pytest.mark.parametrize("kwargs, message", [
    ({"metric": "accuracy", "transform": "difference"},
     "Supplied metric object must be callable"),
    ({"metric": lambda y_true, y_pred, method: 0.0, "transform": "difference"},
     "Callables which accept a 'method' argument may not be passed to "
     "make_derived_metric(). Please use functools.partial()"),
    ({"metric": skm.accuracy_score, "transform": "worst"},
     "Transform must be one of ['difference', 'group_min', 'group_max', 'ratio']"),
])
def test_bad_arguments_get_fairlearns_messages(kwargs, message):
    with pytest.raises(ValueError) as error:
        sfm.make_derived_metric(**kwargs)
    assert error.value.args[0] == message


def test_generated_metrics_pickle_and_describe_themselves():
    y, p, groups = [0, 1, 1, 0], [0, 1, 0, 0], ["a", "a", "b", "b"]
    copy = pickle.loads(pickle.dumps(sfm.recall_score_group_min))
    assert copy(y, p, sensitive_features=groups) == 0.0
    assert "recall_score" in repr(copy) and "group_min" in repr(copy)
    assert "Parameters" in inspect.getdoc(sfm.recall_score_group_min)
    bound = functools.partial(skm.fbeta_score, beta=2.0)
    assert sfm.make_derived_metric(metric=bound, transform="group_max").metric is bound


def test_rate_difference_counts_an_undefined_rate_as_fairlearn_does():
    # Group "b" has no positive labels: fairlearn's rate there is 0, and the
    # generated metric follows it; equal_opportunity_difference leaves "b" out.
    y, p, groups = [1, 1, 0, 0], [1, 1, 0, 1], ["a", "a", "b", "b"]
    assert sfm.true_positive_rate_difference(y, p, sensitive_features=groups) == 1.0
    with pytest.warns(sfm.UndefinedGroupWarning):
        assert sfm.equal_opportunity_difference(y, p, sensitive_features=groups) == 0.0
