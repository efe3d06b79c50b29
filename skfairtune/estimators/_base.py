"""What the classifier and the regressor share: parameters, validation, fit.

The estimators own the scikit-learn contract (validation, ``classes_``,
``n_features_in_``, errors in scikit-learn's words) and drive a
:class:`~skfairtune.estimators._net.FairNet` for the training itself: each
estimator names the net of its task (``_net_class``), which holds what differs
between the tasks below the scikit-learn surface.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import warnings
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import EarlyStopping

from skfairtune import _disk_data, _inputs
from skfairtune import pretrained as _pretrained
from skfairtune._compat import Interval, InvalidParameterError, StrOptions
from skfairtune._compat import check_sample_weight as _check_sample_weight
from skfairtune._compat import check_y as _check_y
from skfairtune._groups import GroupEncoder, encode_groups, fitted_encoder
from skfairtune._mlp import ACTIVATIONS, MLP, build_mlp
from skfairtune._params import ForwardedParamsMixin
from skfairtune._slice_size import auto_fraction
from skfairtune._tasks import Task
from skfairtune._torch_data import call_module, feature_tensor, features_to, to_tensor_data
from skfairtune._validation import check_n_rows
from skfairtune.estimators._budget import (
    BudgetKeeper,
    UsefulEarlyStopping,
    budget_not_met_message,
    budget_uncertain_message,
    uses_group_multipliers,
)
from skfairtune.estimators._checks import (
    _check_callbacks,
    _check_device,
    _check_float32_range,
    _check_groups_for_sampler,
    _check_hidden_layer_sizes,
    _check_param_groups,
    _check_penalty_task,
    _check_precision,
    _check_pretrained_task,
    _check_table_for_the_mlp,
    _dense,
)
from skfairtune.estimators._holdout import (
    MIN_VALIDATION_ROWS,
    StratifiedHoldOut,
    validation_rows,
)
from skfairtune.estimators._net import AUTOCAST_DTYPES, FairNet, is_out_of_memory
from skfairtune.exceptions import (
    BudgetNotMetWarning,
    BudgetUncertainWarning,
    DegenerateModelWarning,
    DivergenceError,
    FairnessWarning,
)
from skfairtune.penalties import PENALTIES, Penalty, get_penalty

# The least number of gradient steps that max_epochs="auto" budgets for.
MIN_STEPS = 2000

OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}


class _BaseFairTune(ForwardedParamsMixin, BaseEstimator):
    # The skorch net of the estimator's task, set by each estimator.
    _net_class: type[FairNet]
    # What validate_data checks of y beyond its length, by task.
    _y_checks: dict = {}
    # Keyword arguments forwarded to skorch, as skorch names them.
    _forwarded_prefixes = ("module__", "optimizer__", "callbacks__")

    _parameter_constraints: dict = {
        "module": [None, type, torch.nn.Module],
        # Many kinds of source; read_pretrained names what it accepts.
        "pretrained": "no_validation",
        "freeze": [None, str, list, tuple],
        "train_last": [None, Interval(Integral, 1, None, closed="left")],
        "penalty": [None, StrOptions(set(PENALTIES)), Penalty],
        "penalty_strength": [Interval(Real, 0, None, closed="left")],
        "max_gap": [None, Interval(Real, 0, None, closed="left")],
        "budget_confidence": [None, Interval(Real, 0.5, 1, closed="neither")],
        "multiplier_lr": [Interval(Real, 0, None, closed="neither")],
        "missing_groups": [StrOptions({"error", "ignore"})],
        "hidden_layer_sizes": [tuple, list],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "max_epochs": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "validation_fraction": [None, Interval(Real, 0, 1, closed="neither"),
                                StrOptions({"auto"})],
        "optimizer": [StrOptions(set(OPTIMIZERS)), type],
        "n_iter_no_change": [None, Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "batch_sampling": [StrOptions({"random", "stratified"})],
        "train_split": [None, callable],
        "callbacks": [None, list],
        "device": [str, torch.device],
        "precision": [StrOptions(set(AUTOCAST_DTYPES))],
        "warm_start": ["boolean"],
        "sampler": "no_validation",
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        module=None,
        *,
        pretrained=None,
        freeze=None,
        train_last=None,
        penalty="demographic_parity",
        penalty_strength=1.0,
        max_gap=None,
        budget_confidence=None,
        multiplier_lr=1.0,
        missing_groups="error",
        hidden_layer_sizes=(64,),
        activation="relu",
        dropout=0.0,
        max_epochs="auto",
        lr=1e-3,
        batch_size="auto",
        validation_fraction="auto",
        optimizer="adam",
        n_iter_no_change=10,
        tol=1e-4,
        batch_sampling="random",
        train_split=None,
        callbacks=None,
        device="cpu",
        precision="float32",
        warm_start=False,
        sampler=None,
        random_state=None,
        verbose=0,
        **kwargs,
    ):
        self.module = module
        self.pretrained = pretrained
        self.freeze = freeze
        self.train_last = train_last
        self.penalty = penalty
        self.penalty_strength = penalty_strength
        self.max_gap = max_gap
        self.budget_confidence = budget_confidence
        self.multiplier_lr = multiplier_lr
        self.missing_groups = missing_groups
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.validation_fraction = validation_fraction
        self.optimizer = optimizer
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.batch_sampling = batch_sampling
        self.train_split = train_split
        self.callbacks = callbacks
        self.device = device
        self.precision = precision
        self.warm_start = warm_start
        self.sampler = sampler
        self.random_state = random_state
        self.verbose = verbose
        # Checked in fit, not here: scikit-learn's contract is that
        # construction never fails.
        for key, value in kwargs.items():
            setattr(self, key, value)

    # -- parameters -------------------------------------------------------
    @classmethod
    @functools.cache
    def _get_param_names(cls):
        # Looked up on every get_params; the signature never changes.
        return super()._get_param_names()

    def _validate_params(self):
        """Check the parameters: the declared constraints, then what they cannot say.

        ``@_fit_context`` calls this once, when ``fit`` or the first
        ``partial_fit`` starts.
        """
        super()._validate_params()
        name = type(self).__name__
        _check_hidden_layer_sizes(self.hidden_layer_sizes, name)
        _check_callbacks(self.callbacks, name)
        self._check_forwarded()
        _check_device(self.device)
        _check_precision(self.precision, self.device)
        _check_penalty_task(self.penalty, self._net_class.task_type.name)
        if self.max_gap is not None and self.penalty is None:
            raise ValueError(
                f"max_gap={self.max_gap:g} bounds the gap of the penalty's notion, but "
                f"penalty=None names none: set penalty (e.g. 'demographic_parity') or "
                "max_gap=None.")
        if self.budget_confidence is not None and self.max_gap is None:
            raise ValueError(
                f"budget_confidence={self.budget_confidence:g} is the confidence at which "
                "the gap must be within max_gap, but max_gap=None sets no budget: set "
                "max_gap (e.g. 0.05) or budget_confidence=None.")

    def __sklearn_is_fitted__(self):
        # net_ is dropped when training diverges; other fitted attributes
        # (classes_, n_features_in_) may remain.
        return hasattr(self, "net_")

    # -- fitting ----------------------------------------------------------
    def _fit(self, X, y, sensitive_features, sample_weight, *, epochs, first, classes=None):
        """Fit ``epochs`` epochs (None: as ``max_epochs`` says), from scratch when ``first``."""
        if _disk_data.is_dataset(X):  # read a batch at a time, never all at once
            X, y, sensitive_features = _disk_data.dataset_input(X, y, sensitive_features)
        # Resampling sees the raw X, so that a sampler can name its columns.
        X, y, sensitive_features, sample_weight = self._resample(
            X, y, sensitive_features, sample_weight
        )
        X, y = self._validate_xy(X, y, reset=first)
        n_rows = len(y)
        source = self._pretrained_source() if first else None
        y_enc = self._encode_y(y, classes=classes, first=first, source=source)
        # Only X's row count is read, and X may be a dict of arrays.
        sample_weight = _check_sample_weight(
            sample_weight, np.empty((n_rows, 0)), dtype=np.float32, ensure_non_negative=True
        )
        sample_weight, class_factors = self._weigh_classes(y_enc, sample_weight,
                                                           partial=epochs is not None)
        groups, n_groups = self._groups(sensitive_features, n_rows, first)
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        module = self.net_.module_ if not first else None if source is None else source.module
        draws = self._draws_from_global_rng(module)
        with _global_rng_seeded(seed, self._device(first), enabled=draws):
            if first:
                # A partial_fit (one epoch, epochs=1) trains on every row it is given.
                self.validation_fraction_ = None
                split = self._train_split(groups, seed) if epochs is None else None
                self.batch_size_, self.max_epochs_ = self._schedule(
                    n_rows - self._held_out(n_rows, split))
                net = self._build_net(X, seed, source, split)
            else:
                net = self.net_
                self._carry_penalty_settings(net)
            epochs = self.max_epochs_ if epochs is None else epochs
            self._check_trainable(net, epochs)
            self.net_ = net
            net.class_factors = class_factors
            self._scale_penalty(net, y_enc, sample_weight, first)
            net.n_groups, net.groups_missing = n_groups, bool((groups < 0).any())
            # On the device once per fit: every batch is then a view there.
            data = to_tensor_data(X, y_enc, groups, sample_weight,
                                  y_dtype=net.target_dtype).to(net.device)
            self._train(net, data, y_enc, epochs)
        self.multiplier_ = (net.multiplier if net.group_multipliers is None
                            else net.group_multipliers.largest())
        self.n_iter_ = len(net.history)
        self._read_budget(net)
        if first and epochs > 0:
            self._warn_if_degenerate(*self._fitted_predictions(net, data, y_enc, sample_weight))
        return self

    def _fitted_predictions(self, net, data, y_enc, sample_weight) -> tuple:
        """The fitted network's predictions on every row fitted on, with their
        labels and weights: what the end-of-fit degeneracy check reads.

        In constraint mode the ``BudgetKeeper`` has them already, from when it
        kept the epoch whose weights the net now has (the slice's rows first,
        then the training rows: the check's sums do not depend on the order);
        otherwise one pass over ``data``.
        """
        keeper = dict(net.callbacks_).get("budget")
        held = None if keeper is None else keeper.take_fitted_predictions()
        if held is None:
            return net.predictions(net.forward_float64(data)), y_enc, sample_weight
        return held.pred, held.y, held.weight

    def _scale_penalty(self, net, y_enc, sample_weight, first: bool) -> None:
        """Weigh a fixed-strength penalty by ``penalty_strength`` times ``penalty_scale_``.

        The scale is set at the first call, from the task's data (see
        ``_penalty_scale``); constraint mode moves its multipliers itself.
        """
        if first:
            self.penalty_scale_ = self._penalty_scale(y_enc, sample_weight)
        if self.max_gap is None:
            net.multiplier = float(self.penalty_strength) * self.penalty_scale_

    def _penalty_scale(self, y_enc, sample_weight) -> float:
        return 1.0

    def _weigh_classes(self, y_enc, sample_weight, *, partial: bool):
        """The sample weights times the task's class weights (none for regression),
        and each class's factor (None without class weights)."""
        return sample_weight, None

    def _device(self, first: bool) -> torch.device:
        """Where the network trains: the parameter's device, or the fitted net's."""
        return torch.device(self.device if first else self.net_.device)

    def _draws_from_global_rng(self, module) -> bool:
        """Whether building or training the network draws from torch's process-wide
        generators: a user's network may (its own initialisation, dropout); the
        built-in MLP (``module``, or None for the one to build) only with dropout."""
        if self.module is not None:
            return True
        if module is None:
            return self.dropout > 0
        return not isinstance(module, MLP) or module.dropout.p > 0

    # -- how much to train, and on which rows ---------------------------------
    def _train_split(self, groups: np.ndarray, seed: int):
        """The user's ``train_split``, else the stratified slice, else None.

        Sets ``validation_fraction_``, the share of the stratified slice (None
        when none is held out).

        The slice is held out where it is used to choose: to stop and go back
        to the best epoch without a penalty, and to keep the budget in
        constraint mode. A fixed penalty strength (the grid-search route)
        trains on every row and stops on the training loss: on a held-out
        slice the penalised loss favours the first epochs, whose
        near-constant outputs have a small gap, and the loss without the
        penalty favours the least fair epoch; the strength is for
        cross-validation to choose.
        """
        if self.train_split is not None:
            return self.train_split
        if self._soft_penalty():
            return None
        fraction = self._validation_fraction(groups)
        if validation_rows(len(groups), fraction) < MIN_VALIDATION_ROWS:
            return None
        self.validation_fraction_ = fraction
        return StratifiedHoldOut(fraction, seed,
                                 stratify_labels=self._net_class.task_type.stratify)

    def _validation_fraction(self, groups: np.ndarray) -> float | None:
        """``validation_fraction``, or the share ``"auto"`` sizes for the budget."""
        if self.validation_fraction != "auto":
            return self.validation_fraction
        # The guide's rows per group are for a rate's gap; a regressor's budget
        # is on the scale of y, which says nothing of the rows it needs.
        budget = self.max_gap if self._net_class.task_type.zero_one else None
        return auto_fraction(groups, budget if self.penalty is not None else None)

    def _held_out(self, n_rows: int, split) -> int:
        return validation_rows(n_rows, split.fraction) if isinstance(
            split, StratifiedHoldOut) else 0

    def _schedule(self, n_train: int) -> tuple[int, int]:
        """The batch size and the epoch budget for ``n_train`` training rows.

        ``"auto"`` scales both with the data: batches of about the square
        root of the rows (a power of two from 32 to 1024), and enough epochs
        for some :data:`MIN_STEPS` gradient steps, from 20 to 200, of which
        early stopping on the validation slice uses what it needs. A table
        of 300 rows gets thousands of steps instead of a handful, and a
        million rows few but large epochs.
        """
        batch = self.batch_size
        if batch == "auto":
            batch = int(np.clip(2 ** round(np.log2(max(n_train, 1)) / 2), 32, 1024))
        epochs = self.max_epochs
        if epochs == "auto":
            steps = -(-max(n_train, 1) // batch)
            epochs = int(np.clip(-(-MIN_STEPS // steps), 20, 200))
        return batch, epochs

    def _carry_penalty_settings(self, net) -> None:
        """Give a partial_fit the penalty that set_params has set since the last call.

        The rest of the net (its layers, optimiser, callbacks) is built once, at
        the first call; the penalty and its strength are read on every batch,
        so they can change between calls, as users of partial_fit expect.
        """
        if (self.max_gap is None) != (net.max_gap is None):
            raise ValueError(
                f"max_gap was {net.max_gap} at the first call and is {self.max_gap} now: "
                "partial_fit cannot switch between a fixed penalty strength and "
                "constraint mode. Call fit to start again with the new setting.")
        _check_penalty_task(self.penalty, net.task)
        net.penalty = get_penalty(self.penalty)
        net.penalty_strength = self.penalty_strength
        net.max_gap, net.multiplier_lr = self.max_gap, self.multiplier_lr
        if self.max_gap is None:
            net.multiplier = float(self.penalty_strength)

    def _read_budget(self, net) -> None:
        keeper = dict(net.callbacks_).get("budget")
        if keeper is not None and getattr(keeper, "best_epoch_", 0):
            self.best_epoch_ = keeper.best_epoch_
            self.budget_met_ = keeper.budget_met_
            self.validation_gap_ = keeper.gap_
            self.validation_gap_se_ = keeper.gap_se_
            self.gap_upper_bound_ = keeper.gap_upper_bound_
            self.fitted_gap_ = keeper.pooled_gap_
            self.fitted_gap_se_ = keeper.pooled_gap_se_
            if not self.budget_met_:
                warnings.warn(budget_not_met_message(keeper, self.max_gap),
                              BudgetNotMetWarning, stacklevel=5)
            elif keeper.uncertain():
                warnings.warn(budget_uncertain_message(keeper, self.max_gap,
                                                       self.validation_fraction_),
                              BudgetUncertainWarning, stacklevel=5)

    def _task(self) -> Task:
        """The task of the fitted outputs (binary or multiclass by the classes)."""
        return self._net_class.task_type.for_outputs(self._n_outputs())

    def _degenerate_reason(self, pred, y_enc, sample_weight) -> str | None:
        """Why the predictions ``pred`` of the rows of ``y_enc`` are no better than a constant."""
        return self._task().degenerate_reason(y_enc, pred, sample_weight)

    def _warn_if_degenerate(self, pred, y_enc, sample_weight) -> None:
        reason = self._degenerate_reason(pred, y_enc, sample_weight)
        if reason is None:
            return
        fixes = ["train longer (max_epochs, lr)"]
        if self.penalty is not None:
            fixes.append("a smaller penalty_strength" if self.max_gap is None
                         else "a larger max_gap")
        fixes.append("scale X (StandardScaler() in a Pipeline)")
        warnings.warn(
            f"The fitted network {reason}, on the rows it was fitted on; a gap of 0 from "
            f"such a model is no sign of fairness. To fix it: {'; or '.join(fixes)}.",
            DegenerateModelWarning, stacklevel=5)

    def _train(self, net, data, y, epochs):
        try:
            start = len(net.history)
            if epochs > 0:
                net.partial_fit(data, y=y, epochs=epochs)
            net.check_finite_weights()
            net.check_loss_did_not_explode(start)
        except DivergenceError:
            # The weights are NaN now: predicting from them is what the error
            # prevents, so the estimator is no longer fitted.
            del self.net_
            raise
        except (IndexError, RuntimeError, ValueError) as exc:
            why = self._training_failure(net, data, exc)
            if why is None:
                raise
            raise ValueError(why) from exc

    def _training_failure(self, net, data, exc) -> str | None:
        """What the user can change when torch failed inside a training step, or None.

        The probe before training reads two rows: a token id beyond an
        embedding's rows further down fails here, as does a ``BatchNorm1d``
        layer given batches of one row.
        """
        if isinstance(exc, ValueError):
            norms = [name for name, m in net.module_.named_modules()
                     if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.LazyBatchNorm1d))]
            # torch's words, so that no other error of a step is blamed on it.
            lone_row = "more than 1 value per channel" in str(exc)
            if not norms or not lone_row or min(self.batch_size_, len(data)) > 1:
                return None
            what, fix = ((f"batch_size={self.batch_size_} trains on one row at a time",
                          "Use batch_size=2 or more") if self.batch_size_ == 1 else
                         ("X has one row", "Train on two rows or more"))
            return (f"{what}, but the network's BatchNorm1d layer {norms[0]!r} needs more "
                    "than one row per batch in training (it normalises by the batch's "
                    f"statistics). {fix}.")
        return _inputs.id_range_message(data.X, net.module_)

    def _check_trainable(self, net, epochs):
        if epochs == 0 or net.optimizer_ is not None:
            return
        if self.frozen_parameters_:
            raise InvalidParameterError(
                f"freeze={self.freeze!r} freezes every parameter of the network "
                f"({self.frozen_parameters_}): nothing is left to fine-tune. Freeze "
                "fewer parameters, or fit with max_epochs=0 to evaluate the "
                "network as it is."
            )
        raise InvalidParameterError(
            "The network has no parameters, so there is nothing to fine-tune; "
            "fit with max_epochs=0 to evaluate it as it is."
        )

    def _validate_xy(self, X, y, *, reset):
        if isinstance(X, _disk_data.DatasetRows):
            return self._validate_rows(X, reset=reset), self._check_y_rows(y, len(X))
        _check_table_for_the_mlp(X, self.module)
        if self._custom_input(X, reset):
            X, n_rows = self._validate_custom(X, reset=reset)
            return X, self._check_y_rows(y, n_rows)
        X, y = validate_data(
            self, X, y, reset=reset, dtype=[np.float32, np.float64], accept_sparse="csr",
            **self._y_checks,
        )
        if reset:
            self._input_layout = None
        return _check_float32_range(_dense(X)), y

    def _check_y_rows(self, y, n_rows: int):
        """Check y beside X that scikit-learn's ``validate_data`` does not read."""
        y = _check_y(y, **self._y_checks)
        check_n_rows(len(y), n_rows, name="y")
        return y

    def _validate_rows(self, X, *, reset: bool):
        """Check the rows of a Dataset (``_disk_data.DatasetRows``) by their first item.

        At fit their layout is kept, as for arrays; at predict it must be fit's.
        The built-in MLP reads a row of ``n_features_in_`` numbers per item.
        """
        _check_table_for_the_mlp(X, self.module)
        if self.module is None and X.ndim != 2:
            raise ValueError(
                f"X's items hold features of shape {X.row_shape}, but module=None "
                "builds an MLP that takes one row of features per item, of shape "
                "(n_features,).")
        if reset:
            self._input_layout = None if self.module is None else _inputs.input_layout(X)
            vars(self).pop("feature_names_in_", None)
            if X.ndim == 2:
                self.n_features_in_ = X.row_shape[0]
            else:
                vars(self).pop("n_features_in_", None)
        elif getattr(self, "_input_layout", None) is not None:
            _inputs.check_layout(X, self._input_layout)
        elif X.row_shape != (self.n_features_in_,):
            raise ValueError(
                f"X's items hold features of shape {X.row_shape}, but "
                f"{type(self).__name__} is expecting {self.n_features_in_} features "
                "as input.")
        # Fitted as a table (the MLP's): integers are features, cast to float.
        X.floats = getattr(self, "_input_layout", None) is None
        return X

    def _custom_input(self, X, reset: bool) -> bool:
        """Whether X takes the path of a user's network: N-D, dict or integer input.

        Only with a user's ``module``; the MLP takes 2-D float tables, which
        scikit-learn's ``validate_data`` checks.
        """
        if self.module is None:
            return False
        fitted_custom = not reset and getattr(self, "_input_layout", None) is not None
        return fitted_custom or _inputs.is_custom_input(_inputs.to_numpy(X))

    def _validate_custom(self, X, *, reset: bool):
        """Check an array of any shape or a dict of arrays; see ``_inputs``."""
        raw = X
        X, n_rows = _inputs.check_custom_input(_inputs.to_numpy(X))
        for value in X.values() if isinstance(X, dict) else [X]:
            _check_float32_range(value)
        if reset:
            self._input_layout = _inputs.input_layout(X)
            for name in ("n_features_in_", "feature_names_in_"):
                if hasattr(self, name):
                    delattr(self, name)
        else:
            layout = getattr(self, "_input_layout", None)
            _inputs.check_layout(
                X, _inputs.table_layout(self.n_features_in_) if layout is None else layout)
        if not isinstance(X, dict) and X.ndim == 2:
            # n_features_in_, and the column names of a DataFrame of token
            # ids, kept and checked as scikit-learn does for tables.
            validate_data(self, raw if hasattr(raw, "columns") else X, y="no_validation",
                          reset=reset, skip_check_array=True)
        return X, n_rows

    def _groups(self, sensitive_features, n_samples, first):
        active = self.penalty is not None and (
            self.penalty_strength > 0 or self.max_gap is not None
        )
        if sensitive_features is None:
            if active:
                warnings.warn(
                    "No sensitive_features were given to fit: the fairness penalty "
                    f"{self.penalty!r} is inactive and this trains on the loss alone.",
                    FairnessWarning, stacklevel=5,
                )
            self.n_missing_groups_ = 0
            if first:  # no groups of an earlier fit for a partial_fit to go on with
                for name in ("sensitive_groups_", "groups_encoder_"):
                    vars(self).pop(name, None)
            return np.zeros(n_samples, dtype=np.int64), 1
        encoding = encode_groups(sensitive_features, n_samples=n_samples,
                                 missing=self.missing_groups)
        self.n_missing_groups_ = encoding.n_missing
        if encoding.n_missing and encoding.n_groups < 2:
            raise ValueError(
                f"sensitive_features is known for {n_samples - encoding.n_missing} of "
                f"{n_samples} rows, and those hold one group only "
                f"({encoding.labels[0]!r}): the penalty needs at least two groups "
                "among the rows whose group is known."
            )
        if encoding.n_groups < 2 and active:
            warnings.warn(
                f"sensitive_features holds one group only ({encoding.labels[0]!r}): "
                "the fairness penalty is inactive.", FairnessWarning, stacklevel=5,
            )
        encoder = None if first else fitted_encoder(self)
        if encoder is None:
            encoder = GroupEncoder()
            encoding = encoder.fit_encode(encoding)
        else:
            # A later partial_fit: each group keeps its id, so what is kept per
            # group (constraint mode's multipliers) stays with its label.
            encoding = encoder.extend(encoding)
        # The reports, scorers and explanations of this model code by it.
        self.groups_encoder_ = encoder
        self.sensitive_groups_ = list(encoder.labels_)
        return encoding.codes, encoding.n_groups

    def _resample(self, X, y, sensitive_features, sample_weight):
        if self.sampler is None:
            return X, y, sensitive_features, sample_weight
        _check_groups_for_sampler(sensitive_features, self.missing_groups)
        rows_change = self.sampler not in ("reweighing", "passthrough")
        if rows_change and isinstance(X, _disk_data.DatasetRows):
            raise ValueError(
                "sampler resamples rows held in memory, not the items of a Dataset "
                "given as X. Resample the rows when the Dataset is built, or weigh "
                "them with sampler='reweighing'.")
        if rows_change and self.module is not None and _inputs.is_custom_input(
                _inputs.to_numpy(X)):
            raise ValueError(
                "sampler resamples the rows of a 2-D table X, not images, integer "
                "arrays or dicts of arrays. Resample the rows before fit, or weigh "
                "them with sampler='reweighing'."
            )
        from skfairtune.resampling import resample

        # A fresh copy per fit, kept as sampler_: the parameter stays unfitted.
        self.sampler_ = (
            clone(self.sampler) if hasattr(self.sampler, "get_params") else self.sampler
        )
        return resample(self.sampler_, X, y, sensitive_features=sensitive_features,
                        sample_weight=sample_weight)

    def _build_net(self, X, seed, source, split):
        device = torch.device(self.device)
        module = self._make_module(X.shape[1] if self.module is None else None, source, seed)
        if source is not None:
            _pretrained.load_state_dict(module, source.state_dict)
        bad = _pretrained.first_non_finite(module.state_dict())
        if bad is not None:
            raise ValueError(
                f"The network's {bad!r} holds NaN or infinite values before any "
                "training step, so it would predict NaN; pass a module whose "
                "weights are finite."
            )
        self._check_module_fits(module, X)
        self.frozen_parameters_ = _pretrained.freeze_parameters(
            module, self.freeze, train_last=self.train_last)
        _check_param_groups(self._forwarded("optimizer__").get("optimizer__param_groups"),
                            module)
        net = self._net_class(
            module=module.to(device),
            criterion=self._criterion(),
            optimizer=OPTIMIZERS.get(self.optimizer, self.optimizer)
            if isinstance(self.optimizer, str) else self.optimizer,
            lr=self.lr, max_epochs=self.max_epochs_, batch_size=self.batch_size_,
            train_split=split, callbacks=self._callbacks(split),
            device=device, verbose=self.verbose if self.verbose < 2 else 0,
            penalty=get_penalty(self.penalty), penalty_strength=self.penalty_strength,
            max_gap=self.max_gap, multiplier_lr=self.multiplier_lr,
            stratify=self.batch_sampling == "stratified", seed=seed,
            precision=self.precision,
            **self._forwarded("optimizer__"), **self._forwarded("callbacks__"),
        )
        return net.initialize()

    def _callbacks(self, split):
        # skorch initialises callbacks in place: copies keep the parameter as given.
        callbacks = copy.deepcopy(list(self.callbacks or []))
        if self.max_gap is not None and self.penalty is not None:
            # Constraint mode: the loss rises with the multiplier by design, so
            # the keeper judges the epochs by their held-out gap and accuracy.
            per_group = uses_group_multipliers(get_penalty(self.penalty).name, self._task())
            callbacks.append(("budget", BudgetKeeper(
                self.max_gap, self.multiplier_lr, patience=self.n_iter_no_change,
                per_group=per_group, confidence=self.budget_confidence)))
        elif self.n_iter_no_change is not None:
            callbacks.append(("early_stopping", self._early_stopping(split)))
        if self.verbose >= 2:  # a bar over the epochs instead of the table
            from skfairtune.callbacks import EpochProgressBar

            callbacks.append(("progress_bar", EpochProgressBar(keys=("train_loss", "valid_loss"))))
        return callbacks

    def _early_stopping(self, split) -> EarlyStopping:
        """Stop when the loss stops improving; on held-out rows, keep the best epoch."""
        if split is None:
            return EarlyStopping(monitor="train_loss", patience=self.n_iter_no_change,
                                 threshold=self.tol, threshold_mode="abs")
        return UsefulEarlyStopping(monitor="valid_task_loss", patience=self.n_iter_no_change,
                                   threshold=self.tol, threshold_mode="abs", load_best=True)

    def _soft_penalty(self) -> bool:
        """Whether the fit is on the grid-search route: a fixed penalty strength."""
        return self.penalty is not None and self.penalty_strength > 0 and self.max_gap is None

    def _pretrained_source(self):
        if self.warm_start and hasattr(self, "net_"):
            return _pretrained.read_pretrained(self.net_.module_)
        if self.pretrained is None:
            return None
        source = _pretrained.read_pretrained(self.pretrained)
        _check_pretrained_task(source, self.pretrained, type(self).__name__,
                               self._net_class.task_type)
        return source

    def _make_module(self, n_features, source, seed):
        if self.module is None:
            if source is not None and source.module is not None:
                return copy.deepcopy(source.module)
            return build_mlp(n_features, self._n_outputs(), tuple(self.hidden_layer_sizes),
                             self.activation, self.dropout,
                             generator=torch.Generator().manual_seed(seed))
        if isinstance(self.module, type):
            return self.module(**self._module_kwargs())
        return copy.deepcopy(self.module)

    def _check_module_fits(self, module, X):
        """Run the network on two rows: refuse X it cannot take or outputs of the wrong width."""
        probe = _inputs.first_rows(X, 2)
        # Where the network is: a user's module may come on a GPU already.
        where = next((p.device for p in module.parameters()), torch.device("cpu"))
        try:
            with torch.no_grad():
                out = call_module(module.eval(), features_to(feature_tensor(probe), where))
        except (RuntimeError, TypeError, ValueError, IndexError) as exc:
            raise _inputs.refusal(X, exc, module) from exc
        finally:
            module.train()
        n_probe = _inputs.n_rows(probe)
        if not isinstance(out, torch.Tensor) or out.ndim > 2 or out.shape[0] != n_probe:
            got = (f"shape {tuple(out.shape)}" if isinstance(out, torch.Tensor)
                   else type(out).__name__)
            raise ValueError(
                f"The network returned {got} for {n_probe} rows; it must return a "
                f"tensor of shape (n_rows, n_outputs) ({self._outputs_meaning()})."
            )
        width = out.shape[1] if out.ndim == 2 else 1
        if width not in self._output_widths():
            raise ValueError(
                f"The network gives {width} outputs per row but this task needs "
                f"{self._n_outputs()} ({self._outputs_meaning()})."
            )

    def _output_widths(self) -> tuple[int, ...]:
        """The numbers of outputs per row that the task accepts."""
        return (self._n_outputs(),)

    # -- prediction -------------------------------------------------------
    def _forward(self, X) -> torch.Tensor:
        """The network's outputs on ``X``, a CPU float64 tensor (``FairNet.forward_float64``)."""
        check_is_fitted(self, "net_")
        X = (self._validate_rows(_disk_data.dataset_rows(X), reset=False)
             if _disk_data.is_dataset(X) else self._validate_x(X))
        data = to_tensor_data(X, None, None, None, y_dtype=self.net_.target_dtype)
        try:
            out = self.net_.forward_float64(data)
        except (RuntimeError, TypeError, IndexError) as exc:
            if is_out_of_memory(exc):
                raise  # nothing about X: smaller batches or another device help
            # The layout check compares dimensions only (sequences may vary
            # in length): an image of another size fails inside the network.
            raise _inputs.refusal(X, exc, self.net_.module_,
                                  advice=" Give X shaped as in fit.") from exc
        finite = torch.isfinite(out.reshape(len(out), -1)).all(dim=1)
        if not finite.all():
            raise ValueError(
                f"The network's outputs are NaN or infinite for {int((~finite).sum())} "
                f"of the {len(out)} rows of X (row {int((~finite).nonzero()[0])} is "
                "the first). Are they on the scale of the training data? Scale X "
                "as in fit, e.g. with a StandardScaler in a Pipeline with the "
                "estimator."
            )
        return out

    def _validate_x(self, X):
        """Check predict's X in memory against what fit saw."""
        _check_table_for_the_mlp(X, self.module)
        if self._custom_input(X, reset=False):
            return self._validate_custom(X, reset=False)[0]
        return _check_float32_range(_dense(validate_data(
            self, X, reset=False, dtype=[np.float32, np.float64], accept_sparse="csr")))

    def save_weights(self, path: str | Path) -> Path:
        """Write the fitted network's weights as a ``.safetensors`` file.

        ``pretrained=path`` reads them back.

        Parameters
        ----------
        path : str or Path
            The file to write, ending in ``.safetensors``.

        Returns
        -------
        Path
        """
        check_is_fitted(self, "net_")
        return _pretrained.save_weights(self.net_.module_, path)

    @property
    def module_(self) -> torch.nn.Module:
        """The fitted torch network."""
        check_is_fitted(self, "net_")
        return self.net_.module_

    @property
    def history_(self):
        """The skorch history of the last fit: loss, penalty, time by epoch."""
        check_is_fitted(self, "net_")
        return self.net_.history


@contextlib.contextmanager
def _global_rng_seeded(seed: int, device: torch.device, *, enabled: bool):
    """Seed torch's process-wide generators for a fit, and put them back after.

    A user's network that draws from them (its default initialisation,
    dropout) is then reproducible from ``random_state``, and the process's
    random state (the CPU's, and the training GPU's) is as it was. Fits
    running at once in threads share these generators: such fits are not
    reproducible, and only the built-in MLP without dropout, which draws
    nothing from them (``enabled=False``), is. CUDA is seeded only where the
    fit trains on it (``torch.manual_seed`` would seed, or queue a seed for,
    every GPU).
    """
    if not enabled:
        yield
        return
    cuda = []
    if device.type == "cuda":
        cuda = [device.index if device.index is not None else torch.cuda.current_device()]
    with torch.random.fork_rng(devices=cuda):
        torch.default_generator.manual_seed(seed)
        for index in cuda:
            torch.cuda.default_generators[index].manual_seed(seed)
        yield


def _input_tags(tags):
    tags.input_tags.sparse = True  # densified in fit and predict
    return tags
