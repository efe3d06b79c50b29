"""The model that ``tune`` saves, as a pickle and in a form that loads without running code.

``tune`` trains on 0/1 (1: the positive class) and saves a :class:`TunedModel`,
which predicts the data file's own labels, in two forms:

* ``model.pkl``, a pickle: loading it runs whatever code the file carries, so
  it is only for files you wrote yourself;
* ``model.json`` beside ``model.safetensors``: a declarative description of the
  encoding (the columns in order, each text column's categories, each number's
  median, mean and scale), of the network (its hidden layer sizes and
  activation), of the labels and of the groups, beside the network's weights.
  :func:`read_model` rebuilds the same pipeline from them: the JSON is read as
  data and checked against a fixed vocabulary, and safetensors holds tensors
  only, so nothing in either file runs. The rebuilt model predicts exactly what
  the pickled one does.
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from skfairtune._groups import fitted_encoder
from skfairtune._labels import label_text, plain, sorted_labels

from ._common import PENALTY_NAMES, UsageError
from ._encoding import encoding

FORMAT, VERSION = "skfairtune-model", 1
DESCRIPTION, WEIGHTS = "model.json", "model.safetensors"
# The suffixes by which check tells the safe form from a pickle.
SAFE_SUFFIXES = (".json", ".safetensors")
_KEYS = {"format", "version", "columns", "categorical", "numeric", "network", "labels",
         "class_names", "groups", "sensitive", "penalty", "penalty_strength",
         "class_weight", "random_state"}
# What a model's class_weight may be in the description: tune's --class-weight.
_CLASS_WEIGHTS = (None, "balanced")
_SIDES = ("negative", "positive")


class TunedModel(ClassifierMixin, BaseEstimator):
    """The model ``tune`` saves: its fitted pipeline, speaking the file's own labels.

    ``tune`` trains the network on 0/1, 1 for the positive class; this wrapper
    predicts the labels of the file instead (``"yes"``/``"no"``), so that
    ``predict`` and ``score`` compare with the target as the file holds it.

    Parameters
    ----------
    pipeline : Pipeline
        The fitted pipeline (the encoding, then the network), trained on 0/1.
        Its ``class_names_`` name the 0/1 classes as the reports show them.
    labels : dict
        The file's label of each class, ``{0: negative, 1: positive}``; a
        negative class that stood for several labels is ``"not <positive>"``.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two labels, sorted as scikit-learn sorts classes.
    pos_label_ : object
        The positive class: the one the penalty and ``tune``'s gaps read as 1.
    feature_names_in_ : ndarray of str
        The columns the pipeline reads.
    n_features_in_ : int
        Their number.
    """

    def __init__(self, pipeline, labels: dict):
        self.pipeline = pipeline
        self.labels = labels

    def __sklearn_is_fitted__(self) -> bool:
        return True  # a wrapper of a fitted pipeline, never fitted itself

    @property
    def classes_(self) -> np.ndarray:
        return _label_array(sorted_labels([self.labels[0], self.labels[1]]))

    @property
    def pos_label_(self):
        return self.labels[1]

    @property
    def feature_names_in_(self) -> np.ndarray:
        return self.pipeline.feature_names_in_

    @property
    def n_features_in_(self) -> int:
        return self.pipeline.n_features_in_

    def predict(self, X) -> np.ndarray:
        """The label of each row, as the file writes it.

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features)
            Rows with the file's feature columns.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        by_code = _label_array([self.labels[0], self.labels[1]])
        return by_code[np.asarray(self.pipeline.predict(X), dtype=int)]

    def predict_proba(self, X) -> np.ndarray:
        """The probability of each class, in the order of ``classes_``.

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features)
            Rows with the file's feature columns.

        Returns
        -------
        ndarray of shape (n_samples, 2)
        """
        proba = self.pipeline.predict_proba(X)
        return proba if self.classes_[1] == self.pos_label_ else proba[:, ::-1]


def _label_array(values: list) -> np.ndarray:
    """Labels as an array of their own type: numbers stay numbers, text is object."""
    array = np.asarray([plain(v) for v in values])
    return array if array.dtype.kind in "biuf" else np.asarray(values, dtype=object)


# -- writing -----------------------------------------------------------------
def write_model(out, pipeline, labels: dict | None) -> None:
    """Write the chosen model into ``out``: its weights, its description and the pickle.

    Parameters
    ----------
    out : OutputFolder
        The run's ``--out`` folder, inside its ``with`` block.
    pipeline : Pipeline
        The chosen fitted pipeline, trained on 0/1, with ``class_names_``.
    labels : dict or None
        The file's label of each class, ``{0: negative, 1: positive}``; None
        when the file's labels are 0 and 1 themselves.
    """
    import pickle

    model = TunedModel(pipeline, dict(labels or {0: 0, 1: 1}))
    pipeline[-1].save_weights(out.file(WEIGHTS))
    try:
        text = json.dumps(describe(model), indent=2, allow_nan=False)
    except ValueError as exc:  # a value JSON cannot hold as data: the pickle only
        print(f"skfairtune: warning: {DESCRIPTION} was not written: {exc}; check reads "
              "model.pkl instead", file=sys.stderr)
    else:
        out.file(DESCRIPTION).write_text(text + "\n")
    with open(out.file("model.pkl"), "wb") as file:
        pickle.dump(model, file)


def describe(model: TunedModel) -> dict:
    """What :func:`read_model` needs to rebuild ``model``, as plain JSON data.

    Raises
    ------
    ValueError
        If a category, label or group is of a type JSON cannot hold as data
        (a date, say).
    """
    pipeline = model.pipeline
    encoder = pipeline[0].estimator  # tune freezes the encoding (FrozenEstimator)
    step = pipeline[-1]
    names = getattr(pipeline, "class_names_", None) or {}
    return {
        "format": FORMAT, "version": VERSION,
        "columns": [str(c) for c in encoder.feature_names_in_],
        **_describe_encoding(encoder),
        "network": {"hidden_layer_sizes": [int(h) for h in step.hidden_layer_sizes],
                    "activation": step.activation},
        "labels": {side: _scalar(model.labels[i], "a label") for i, side in enumerate(_SIDES)},
        "class_names": {side: label_text(names.get(i, model.labels[i]))
                        for i, side in enumerate(_SIDES)},
        "groups": [[_scalar(v, "a group") for v in g] if isinstance(g, tuple)
                   else _scalar(g, "a group") for g in step.sensitive_groups_],
        # The sensitive columns, so that check tells another attribute's
        # groups from groups the model never saw.
        "sensitive": [str(n) for n in fitted_encoder(step).names_],
        "penalty": step.penalty, "penalty_strength": float(step.penalty_strength),
        # Whether a weighted model is judged degenerate by balanced accuracy.
        "class_weight": step.class_weight,
        "random_state": step.random_state,
    }


def _describe_encoding(encoder) -> dict:
    columns = {name: list(cols) for name, _, cols in encoder.transformers_}
    categories = encoder.named_transformers_["categories"]
    numbers = encoder.named_transformers_["numbers"]
    categorical = [{"column": str(column), "categories": [_scalar(v, f"a category of {column!r}")
                                                          for v in values]}
                   for column, values in zip(columns["categories"],
                                             getattr(categories, "categories_", []))]
    numeric = []
    if columns["numbers"]:
        medians = numbers[0].statistics_
        kept = iter(zip(numbers[-1].mean_, numbers[-1].scale_))
        for column, median in zip(columns["numbers"], medians):
            entry = {"column": str(column), "median": None}
            # A column with no value at training is dropped by the imputer.
            if not math.isnan(median):
                mean, scale = next(kept)
                entry.update(median=float(median), mean=float(mean), scale=float(scale))
            numeric.append(entry)
    return {"categorical": categorical, "numeric": numeric}


def _scalar(value, what: str):
    """A category, label or group value as JSON data: text, a number, a bool, or
    None for a missing value."""
    value = plain(value)
    if value is None or isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (str, bool, int)) or isinstance(value, float) and math.isfinite(value):
        return value
    raise ValueError(f"{what} is {value!r} ({type(value).__name__}), which JSON cannot "
                     "hold as data")


# -- reading -----------------------------------------------------------------
def is_model_files(path: Path) -> bool:
    """Whether ``path`` names the safe form: a folder, or its .json or .safetensors."""
    return path.is_dir() or path.suffix.lower() in SAFE_SUFFIXES


def read_model(path: Path) -> TunedModel:
    """Rebuild the model ``tune`` saved from its description and weights.

    Parameters
    ----------
    path : Path
        The folder ``tune`` wrote (holding ``model.json`` and
        ``model.safetensors``), or either file: the other is read from beside
        it, of the same name.

    Returns
    -------
    TunedModel
        The model, predicting exactly what the ``model.pkl`` of the same run
        predicts.

    Raises
    ------
    UsageError
        If a file is missing or unreadable, if the description is malformed
        or names anything outside the known vocabulary, or if the weights do
        not fit it. Nothing in the files is run.
    """
    description, weights = _paths(path)
    spec = _Spec(_read_json(description), f"MODEL {description}")
    encoder = _encoder(spec)
    width = len(encoder.get_feature_names_out())
    network = _network(spec, weights, width)
    return _assemble(spec, encoder, network)


def _paths(path: Path) -> tuple[Path, Path]:
    if path.is_dir():
        description, weights = path / DESCRIPTION, path / WEIGHTS
    else:
        description, weights = path.with_suffix(".json"), path.with_suffix(".safetensors")
    for file in (description, weights):
        if not file.is_file():
            raise UsageError(f"MODEL {path}: {file} is missing; the safe form of a model is "
                             f"the {DESCRIPTION} and {WEIGHTS} that 'skfairtune tune' "
                             "writes side by side")
    return description, weights


def _read_json(path: Path) -> dict:
    def refuse(token):
        raise ValueError(f"{token} is not a number JSON allows")

    try:
        return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)
    except (OSError, UnicodeError, ValueError, RecursionError) as exc:
        raise UsageError(f"MODEL {path} is not a JSON description of a model: "
                         f"{exc}") from None


class _Spec:
    """The description, each field checked as it is read; errors name the field."""

    def __init__(self, data, where: str):
        self.where = where
        if not isinstance(data, dict):
            self.fail("", f"is {type(data).__name__}, not an object")
        unknown = sorted(set(data) - _KEYS)
        if unknown:
            self.fail("", f"has unknown field(s) {', '.join(map(repr, unknown))}; the known "
                      f"ones are {', '.join(sorted(_KEYS))}")
        self.data = data
        if data.get("format") != FORMAT or data.get("version") != VERSION:
            self.fail("", f"is not a {FORMAT} description of version {VERSION} (format "
                      f"{data.get('format')!r}, version {data.get('version')!r})")

    def fail(self, field: str, problem: str):
        raise UsageError(f"{self.where}: {'the description' if not field else field} "
                         f"{problem}")

    def get(self, field: str, check, expected: str, data=None):
        """``data[field]`` (the description's by default) if ``check`` accepts it."""
        data = self.data if data is None else data
        name = field.rsplit(".", 1)[-1]
        if name not in data:
            self.fail(field, "is missing")
        value = data[name]
        if not check(value):
            self.fail(field, f"must be {expected}; got {value!r}"[:300])
        return value

    def optional(self, field: str, check, expected: str):
        """``get``, for a field that older descriptions lack (None then)."""
        return self.get(field, check, expected) if field in self.data else None

    def entries(self, field: str, keys: set) -> list:
        """A list of objects, each naming its column, with no key outside ``keys``."""
        items = self.get(field, lambda v: isinstance(v, list), "a list")
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not set(item) <= keys or not _is_name(
                    item.get("column")):
                self.fail(f"{field}[{i}]", f"must be an object of {', '.join(sorted(keys))}")
        return items


def _is_name(value) -> bool:
    return isinstance(value, str) and value != ""


def _is_scalar(value) -> bool:
    return value is None or isinstance(value, (str, bool, int)) or (
        isinstance(value, float) and math.isfinite(value))


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and \
        math.isfinite(value)


def _encoder(spec: _Spec):
    """tune's encoder, fitted to the description: the same transform, bit for bit."""
    columns = spec.get("columns", lambda v: isinstance(v, list) and v and all(map(
        _is_name, v)) and len(set(v)) == len(v), "a non-empty list of distinct column names")
    categorical = spec.entries("categorical", {"column", "categories"})
    numeric = spec.entries("numeric", {"column", "median", "mean", "scale"})
    order = [e["column"] for e in categorical] + [e["column"] for e in numeric]
    if sorted(order) != sorted(columns):
        spec.fail("categorical and numeric", "must describe each of the columns exactly once")
    categories = [_categories(spec, i, entry) for i, entry in enumerate(categorical)]
    stats = [_statistics(spec, i, entry) for i, entry in enumerate(numeric)]
    return _fitted_encoder(columns, categorical, numeric, categories, stats)


def _categories(spec: _Spec, i: int, entry: dict) -> list:
    values = spec.get(f"categorical[{i}].categories", lambda v: isinstance(v, list) and v and
                      all(map(_is_scalar, v)), "a non-empty list of text, numbers or null",
                      data=entry)
    known = [v for v in values if v is not None]
    if len({(type(v), v) for v in known}) != len(known) or values.count(None) > 1 or \
            len({isinstance(v, str) for v in known}) > 1:
        spec.fail(f"categorical[{i}].categories", "must be distinct values, all text or "
                  "all numbers, with at most one null (the missing value)")
    # A missing category is NaN to the encoder, as pandas reads it; it comes last.
    return [*known, np.nan] if None in values else known


def _statistics(spec: _Spec, i: int, entry: dict) -> tuple:
    """(median, mean, scale); a null median (no value at training) drops the column."""
    field = f"numeric[{i}]"
    median = spec.get(f"{field}.median", lambda v: v is None or _is_number(v),
                      "a finite number or null", data=entry)
    if median is None:
        if set(entry) != {"column", "median"}:
            spec.fail(field, "has a null median (a column dropped at training), so it "
                      "takes no mean or scale")
        return (np.nan, None, None)
    mean = spec.get(f"{field}.mean", _is_number, "a finite number", data=entry)
    scale = spec.get(f"{field}.scale", lambda v: _is_number(v) and v > 0,
                     "a finite number above 0", data=entry)
    return (float(median), float(mean), float(scale))


def _fitted_encoder(columns, categorical, numeric, categories, stats):
    """tune's ColumnTransformer, fitted on stand-in rows (for its structure) and then
    given the description's categories, medians, means and scales."""
    import pandas as pd

    n_rows = max(2, *(len(c) for c in categories)) if categories else 2
    stand_in = {e["column"]: _cycled(c, n_rows) for e, c in zip(categorical, categories)}
    stand_in.update({e["column"]: np.full(n_rows, np.nan) if math.isnan(s[0])
                     else np.arange(n_rows, dtype=float) for e, s in zip(numeric, stats)})
    encoder = encoding([e["column"] for e in categorical], [e["column"] for e in numeric],
                       categories=categories or "auto")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the imputer warns of a column it drops
        encoder.fit(pd.DataFrame({c: stand_in[c] for c in columns}))
    if numeric:
        imputer, scaler = encoder.named_transformers_["numbers"]
        imputer.statistics_ = np.array([s[0] for s in stats])
        kept = [s for s in stats if not math.isnan(s[0])]
        scaler.mean_ = np.array([s[1] for s in kept])
        scaler.scale_ = np.array([s[2] for s in kept])
        scaler.var_ = scaler.scale_ ** 2  # informative only: transform reads the two above
    return encoder


def _cycled(values: list, n: int) -> np.ndarray:
    kind = object if any(isinstance(v, str) for v in values) else None
    return np.resize(np.asarray(values, dtype=kind), n)


def _network(spec: _Spec, weights: Path, width: int):
    """The description's network with the weights loaded, as a fitted FairTuneClassifier."""
    from skfairtune import FairTuneClassifier
    from skfairtune._mlp import ACTIVATIONS
    from skfairtune.pretrained import read_weight_file

    network = spec.get("network", lambda v: isinstance(v, dict) and set(v) == {
        "hidden_layer_sizes", "activation"}, "an object of hidden_layer_sizes and activation")
    hidden = spec.get("network.hidden_layer_sizes", lambda v: isinstance(v, list) and all(
        isinstance(h, int) and not isinstance(h, bool) and h > 0 for h in v),
        "a list of positive whole numbers", data=network)
    activation = spec.get("network.activation", lambda v: v in ACTIVATIONS,
                          f"one of {', '.join(ACTIVATIONS)}", data=network)
    penalty = spec.get("penalty", lambda v: v is None or v in PENALTY_NAMES,
                       f"null or one of {', '.join(PENALTY_NAMES)}")
    strength = spec.get("penalty_strength", lambda v: _is_number(v) and v >= 0,
                        "a finite non-negative number")
    seed = spec.get("random_state", lambda v: v is None or isinstance(v, int) and
                    not isinstance(v, bool) and 0 <= v < 2**32, "null or a seed")
    groups, sensitive = _groups(spec), _sensitive(spec)
    class_weight = spec.optional("class_weight", lambda v: v in _CLASS_WEIGHTS,
                                 "null or 'balanced'")
    try:
        state = read_weight_file(weights)
    except (OSError, ValueError) as exc:
        raise UsageError(f"MODEL {weights}: {exc}") from None
    _check_shapes(spec, weights, state, [width, *hidden, 2])
    model = FairTuneClassifier(pretrained=state, hidden_layer_sizes=tuple(hidden),
                               activation=activation, penalty=penalty,
                               penalty_strength=strength, class_weight=class_weight,
                               max_epochs=0, random_state=seed)
    # No step is trained (max_epochs=0): the fit builds the network from the
    # weights, and the stand-in rows give it the 0/1 classes and the groups
    # (one column per sensitive column when the groups are lists).
    n_rows = max(2, len(groups))
    sensitive_features = _stand_in_groups(spec, groups, sensitive, n_rows)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return model.fit(np.zeros((n_rows, width)), np.arange(n_rows) % 2,
                             sensitive_features=sensitive_features)
    except ValueError as exc:  # weights that are NaN or infinite
        raise UsageError(f"MODEL {weights}: {exc}") from None


def _groups(spec: _Spec) -> list:
    def valid(v):
        if not isinstance(v, list) or not v:
            return False
        if all(isinstance(g, list) for g in v):
            return len({len(g) for g in v}) == 1 and all(
                g and all(_is_scalar(x) and x is not None for x in g) for g in v)
        return all(_is_scalar(g) and g is not None for g in v)

    return spec.get("groups", valid, "a non-empty list of groups: values, or lists of "
                    "one value per sensitive column")


def _stand_in_groups(spec: _Spec, groups: list, sensitive: list | None, n_rows: int):
    """``n_rows`` rows cycling through ``groups``, in columns named ``sensitive``
    (unnamed for a description written before the names were recorded)."""
    rows = [groups[i % len(groups)] for i in range(n_rows)]
    width = len(groups[0]) if isinstance(groups[0], list) else 1
    if sensitive is None:
        return np.asarray(rows, dtype=object)
    if len(sensitive) != width:
        spec.fail("sensitive", f"names {len(sensitive)} column(s) but each group has "
                  f"{width} value(s)")
    if width == 1:
        return pd.Series(rows, name=sensitive[0], dtype=object)
    return pd.DataFrame(rows, columns=sensitive, dtype=object)


def _sensitive(spec: _Spec) -> list | None:
    """The sensitive columns' names; None for a description that has none."""
    return spec.optional("sensitive", lambda v: isinstance(v, list) and v and all(
        _is_name(n) for n in v) and len(set(v)) == len(v), "a list of distinct column names")


def _check_shapes(spec: _Spec, weights: Path, state: dict, widths: list) -> None:
    """The weights must be those of the described network (before one is built: a
    description cannot make the network any larger than the file)."""
    names = [f"hidden.{i}" for i in range(len(widths) - 2)] + ["output"]
    expected = {}
    for name, inputs, outputs in zip(names, widths[:-1], widths[1:]):
        expected[f"{name}.weight"] = (outputs, inputs)
        expected[f"{name}.bias"] = (outputs,)
    found = {k: tuple(v.shape) for k, v in state.items()}
    if found != expected:
        wrong = [k for k in expected if found.get(k) != expected[k]] or sorted(
            set(found) - set(expected))
        name = wrong[0]
        spec.fail("network", f"does not fit {weights.name}: for {name!r} the description "
                  f"gives {expected.get(name, 'no tensor')} and the weights "
                  f"{found.get(name, 'no tensor')} (the encoded columns are {widths[0]})")


def _assemble(spec: _Spec, encoder, network) -> TunedModel:
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import Pipeline

    labels = spec.get("labels", lambda v: isinstance(v, dict) and set(v) == set(_SIDES) and
                      all(map(_is_scalar, v.values())) and None not in v.values() and
                      v["negative"] != v["positive"],
                      "an object of two different labels, negative and positive")
    names = spec.get("class_names", lambda v: isinstance(v, dict) and set(v) == set(_SIDES)
                     and all(isinstance(n, str) for n in v.values()),
                     "an object of two names, negative and positive")
    pipeline = Pipeline([("encode", FrozenEstimator(encoder)), ("model", network)])
    pipeline.class_names_ = {0: names["negative"], 1: names["positive"]}
    return TunedModel(pipeline, {0: labels["negative"], 1: labels["positive"]})
