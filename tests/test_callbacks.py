"""skorch callbacks: fairness monitoring, fairness-aware early stopping, progress."""

import io
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from skorch.dataset import ValidSplit

from skfairtune import FairTuneClassifier, FairTuneRegressor
from skfairtune.callbacks import EpochProgressBar, FairEarlyStopping, FairnessMonitor
from skfairtune.metrics import (
    demographic_parity_difference,
    equalized_odds_difference,
    worst_group_accuracy,
)

torch.set_num_threads(1)

DP = "demographic_parity_difference"


@pytest.fixture
def biased():
    """A proxy of the group in X[:, 0]; labels tied to the group."""
    rng = np.random.default_rng(0)
    group = rng.integers(0, 2, 300)
    X = rng.normal(size=(300, 4))
    X[:, 0] += 2 * group
    y = (X[:, 1] + group + 0.5 * rng.normal(size=300) > 0.5).astype(int)
    return X, y, group


def fit(X, y, group, callbacks, **params):
    params = {"max_epochs": 4, "random_state": 0, "n_iter_no_change": None, **params}
    return FairTuneClassifier(callbacks=callbacks, **params).fit(
        X, y, sensitive_features=group)


def test_monitor_records_train_and_valid_metrics_every_epoch(biased):
    clf = fit(*biased, [FairnessMonitor()], train_split=ValidSplit(4, stratified=False))
    keys = [f"{split}_{metric}" for split in ("train", "valid")
            for metric in (DP, "equalized_odds_difference")]
    for key in keys:
        values = clf.history_[:, key]
        assert len(values) == 4 and all(0 <= v <= 1 for v in values)


def test_monitored_gap_is_the_metric_of_the_final_predictions(biased):
    X, y, group = biased
    clf = fit(X, y, group, [FairnessMonitor([DP, "worst_group_accuracy"], on="train")])
    pred = clf.predict(X)
    assert clf.history_[-1, f"train_{DP}"] == pytest.approx(
        demographic_parity_difference(y, pred, sensitive_features=group))
    assert clf.history_[-1, "train_worst_group_accuracy"] == pytest.approx(
        worst_group_accuracy(y, pred, sensitive_features=group))
    assert f"valid_{DP}" not in clf.history_[-1]


def test_monitor_takes_short_names_and_functions(biased):
    def selection_gap(y_true, y_pred, *, sensitive_features):
        rates = [y_pred[sensitive_features == g].mean() for g in (0, 1)]
        return abs(rates[0] - rates[1])

    clf = fit(*biased, [FairnessMonitor({"dp": DP, "mine": selection_gap}, on="train")])
    assert clf.history_[-1, "train_dp"] == pytest.approx(clf.history_[-1, "train_mine"])


def test_monitor_does_not_change_training(biased):
    plain = fit(*biased, None, dropout=0.2)
    watched = fit(*biased, [FairnessMonitor()], dropout=0.2)
    assert plain.history_[:, "train_loss"] == watched.history_[:, "train_loss"]
    np.testing.assert_array_equal(plain.predict_proba(biased[0]),
                                  watched.predict_proba(biased[0]))


def test_monitor_shows_in_the_epoch_table(biased, capsys):
    fit(*biased, [FairnessMonitor({"dp_gap": DP}, on="train")], verbose=1, max_epochs=2)
    header = capsys.readouterr().out.splitlines()[0]
    assert "train_dp_gap" in header and "train_loss" in header


def test_monitor_on_regression_reads_the_mean_prediction_gap():
    rng = np.random.default_rng(1)
    X, group = rng.normal(size=(200, 3)), rng.integers(0, 2, 200)
    y = X[:, 0] + group
    reg = FairTuneRegressor(max_epochs=2, random_state=0, callbacks=[FairnessMonitor()])
    reg.fit(X, y, sensitive_features=group)
    assert reg.history_[-1, "train_mean_prediction_difference"] >= 0


@pytest.mark.parametrize("kwargs, message", [
    ({"metrics": "no_such_metric"}, "unknown metric 'no_such_metric'"),
    ({"metrics": []}, "metrics is empty"),
    ({"on": "test"}, "on must name 'train' and/or 'valid'"),
])
def test_monitor_refuses_bad_settings(biased, kwargs, message):
    with pytest.raises(ValueError, match=message):
        fit(*biased, [FairnessMonitor(**kwargs)])


def test_monitor_refuses_multiclass_with_binary_metrics():
    rng = np.random.default_rng(2)
    X, group = rng.normal(size=(120, 3)), rng.integers(0, 2, 120)
    y = np.digitize(X[:, 0], [-0.5, 0.5])
    with pytest.raises(ValueError, match="3 classes"):
        fit(X, y, group, [FairnessMonitor()])


def _plain_skorch_net(callbacks):
    from skorch import NeuralNetClassifier

    from skfairtune._mlp import MLP

    return NeuralNetClassifier(
        MLP, module__n_features=4, module__n_outputs=2, criterion=torch.nn.CrossEntropyLoss,
        max_epochs=2, train_split=None, verbose=0, callbacks=callbacks,
    )


def test_monitor_on_a_plain_skorch_net_says_what_it_needs(biased):
    X, y, _ = biased
    net = _plain_skorch_net([FairnessMonitor()])
    with pytest.raises(TypeError, match=r"FairnessMonitor needs the group id of every row.*"
                                        r"NeuralNetClassifier was given X of type ndarray.*"
                                        r"FairTuneClassifier\(callbacks=\[FairnessMonitor"
                                        r"\(\)\]\).*sensitive_features"):
        net.fit(X.astype(np.float32), y)
    assert len(net.history) == 0  # refused before the first epoch


def test_history_readers_work_on_a_plain_skorch_net(biased):
    from skorch.callbacks import EpochScoring

    X, y, _ = biased
    out = io.StringIO()
    net = _plain_skorch_net([
        EpochScoring("accuracy", on_train=True, name="train_acc"),
        FairEarlyStopping(gap="train_acc", monitor="train_loss", patience=10),
        EpochProgressBar(file=out),
    ])
    net.fit(X.astype(np.float32), y)
    assert "fair_objective" in net.history[-1]
    assert "2/2" in out.getvalue()


def test_without_groups_every_row_is_one_group(biased):
    X, y, _ = biased
    clf = FairTuneClassifier(penalty=None, max_epochs=1, callbacks=[FairnessMonitor()])
    assert clf.fit(X, y).history_[-1, f"train_{DP}"] == 0.0


def test_early_stopping_stops_when_the_objective_stalls(biased):
    stop = FairEarlyStopping(f"train_{DP}", monitor="train_loss", patience=2, threshold=10.0)
    clf = fit(*biased, [FairnessMonitor(on="train"), stop], max_epochs=20)
    # The first epoch improves on infinity; no later one gains 10.
    assert clf.n_iter_ == 3
    objective = clf.history_[:, "fair_objective"]
    expected = [loss + gap for loss, gap in zip(clf.history_[:, "train_loss"],
                                                clf.history_[:, f"train_{DP}"])]
    np.testing.assert_allclose(objective, expected)
    assert clf.history_[:, "fair_objective_best"] == [True, False, False]


def test_early_stopping_counts_only_epochs_within_the_budget(biased):
    stop = FairEarlyStopping(f"train_{DP}", monitor="train_loss", max_gap=-1.0, patience=3)
    clf = fit(*biased, [FairnessMonitor(on="train"), stop], max_epochs=20)
    assert clf.n_iter_ == 3
    assert not any(clf.history_[:, "fair_objective_best"])


def test_early_stopping_restores_the_best_weights(biased):
    X, y, group = biased
    stop = FairEarlyStopping(f"train_{DP}", monitor="train_loss", gap_weight=0.0,
                             threshold=10.0, patience=3, load_best=True)
    clf = fit(X, y, group, [FairnessMonitor(on="train"), stop], max_epochs=20)
    first = fit(X, y, group, None, max_epochs=1)
    np.testing.assert_allclose(clf.predict_proba(X), first.predict_proba(X), atol=1e-6)
    assert pickle.loads(pickle.dumps(clf)).predict(X).shape == y.shape


def test_early_stopping_names_the_missing_key(biased):
    with pytest.raises(ValueError, match="FairnessMonitor placed before"):
        fit(*biased, [FairEarlyStopping(f"valid_{DP}")])


def test_progress_bar_counts_epochs_and_survives_clone_and_pickle(biased):
    out = io.StringIO()
    clf = FairTuneClassifier(max_epochs=3, random_state=0,
                             callbacks=[EpochProgressBar(file=out)])
    clone(clf).fit(*biased[:2], sensitive_features=biased[2])
    assert "3/3" in out.getvalue() and "train_loss" in out.getvalue()
    fitted = pickle.loads(pickle.dumps(clone(clf).fit(*biased[:2],
                                                      sensitive_features=biased[2])))
    assert fitted.predict(biased[0]).shape == (300,)


def test_equalized_odds_is_monitored_as_the_metric_defines_it(biased):
    X, y, group = biased
    clf = fit(X, y, group, [FairnessMonitor(on="train")])
    assert clf.history_[-1, "train_equalized_odds_difference"] == pytest.approx(
        equalized_odds_difference(y, clf.predict(X), sensitive_features=group))
