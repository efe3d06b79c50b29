"""The parameter section shared by the two estimators' docstrings."""

PARAMETERS_DOC = """
Parameters
----------
module : torch.nn.Module class or instance, default=None
    The network. None builds an MLP sized from the data (see
    ``hidden_layer_sizes``); a class is instantiated with the ``module__*``
    parameters; an instance is copied, never changed in place. Its output
    contract: a tensor of shape ``(n_rows, n_outputs)``; a classifier's
    network returns one logit per class, or, for two classes, a single
    logit for the positive class (the ``BCEWithLogitsLoss`` convention: its
    probability is the sigmoid); a regressor's one value per target (a
    vector when there is one). With a user's network, X may also be an
    array of any shape (images ``(n, C, H, W)``, sequences) or a dict of
    arrays with one row per sample, passed to ``forward`` as keyword
    arguments; integer arrays (token ids) keep their dtype, floats become
    float32. ``n_features_in_`` is set for 2-D arrays only. See the guide
    "Bring your own PyTorch model".
pretrained : str, Path, dict, torch.nn.Module or fitted estimator, default=None
    Where fine-tuning starts: a ``.safetensors`` or ``.pt``/``.pth``
    state-dict file (a ``.pt`` is read with ``weights_only=True``), a state
    dict, a module, a fitted skfairtune estimator or skorch net, or a fitted
    scikit-learn ``MLPClassifier``, ``MLPRegressor`` or
    ``LogisticRegression`` (converted to the same network). With
    ``module=None``, a source that carries a network (all but files and
    state dicts) also gives the architecture. A fitted estimator must be of
    the same task: a regressor is refused as a classifier's starting point,
    and a classifier as a regressor's.
freeze : str or list of str, default=None
    Names or glob patterns (``"hidden.*"``) of parameters kept fixed; the
    optimizer sees only the others.
train_last : int, default=None
    Train only the last ``train_last`` layers: the submodules that hold
    parameters of their own, in the order the network registers them
    (``skfairtune.pretrained.parameterised_layers``); 1 trains the head
    alone. Everything before them is frozen, as well as what ``freeze``
    names. For a lower learning rate on the body instead of none, use
    skorch's ``optimizer__param_groups=[("hidden.*", {"lr": 1e-4})]``.
penalty : str, Penalty or None, default="demographic_parity"
    The fairness penalty: a name from ``skfairtune.penalties.PENALTIES``,
    a penalty object, or None for none.
penalty_strength : float, default=1.0
    The penalty's weight in the loss, the value users grid-search. At 0 the
    penalty is not computed at all. A classifier whose rarest class is under
    a quarter of the (weighted) rows weighs it down by ``penalty_scale_`` (the
    square of that share over 25%, 0.16 at 10% positives), so that the
    default does not collapse an imbalanced table to the majority class.
max_gap : float, default=None
    Constraint mode: the largest gap accepted, on the scale the metrics
    report (0.02). It bounds the *hard-prediction* gap of the penalty's
    notion (for the group-loss penalties, the worst group's error rate, or
    mean squared error for a regressor), measured after every epoch on the
    validation slice. For a notion's gap with two classes or for regression
    each group has its own weight on its soft rate, moved after each epoch
    by how far the group's held-out rate lies outside ``max_gap / 2`` of the
    groups' midpoint (it starts at ``penalty_strength`` for a group already
    outside); for several classes and the group-loss penalties one weight,
    starting at ``penalty_strength``, moves by how far the gap is from
    ``max_gap``. The epoch kept is the most accurate one on the slice among
    those within the budget whose predictions beat a constant
    (``best_epoch_``, ``budget_met_``, ``validation_gap_``). When none is, the closest is kept,
    with a ``BudgetNotMetWarning``. See the guide "Choosing a budget".
budget_confidence : float in (0.5, 1), default=None
    Constraint mode: an epoch is within the budget only when the upper
    confidence bound on its gap at this confidence (the formula of
    ``gap_upper_bound_``) is within ``max_gap``, and the weights aim the
    gap that far below the budget (to a quarter of it at least). None
    judges the gap measured on the slice. When no useful epoch's bound is
    within ``max_gap``, the one with the smallest bound is kept, with a
    ``BudgetNotMetWarning``: on a slice too small for the budget that is
    every fit, and the warning says so. Where the error is unknown
    (several classes) the gap itself is judged.
multiplier_lr : float, default=1.0
    Step size of the weights' updates in constraint mode, per epoch: a
    group's weight moves by ``2 * multiplier_lr`` per unit of its excess gap;
    a single weight by ``multiplier_lr`` per unit of excess gap relative to
    the budget (to 0.05 at least).
missing_groups : {"error", "ignore"}, default="error"
    What a missing value (NaN or None) in ``sensitive_features`` does.
    ``"error"`` refuses it; ``"ignore"`` keeps such rows in the loss but
    out of the penalty, the group-stratified validation gap and
    ``FairnessMonitor``'s metrics, which read the rows whose group is known
    (``n_missing_groups_`` counts the others). The known rows must hold at
    least two groups.
hidden_layer_sizes : tuple of int, default=(64,)
    The hidden layers of the MLP that ``module=None`` builds.
activation : {"relu", "tanh", "logistic", "identity", "gelu"}, default="relu"
    The MLP's activation.
dropout : float, default=0.0
    The MLP's dropout probability.
max_epochs : int or "auto", default="auto"
    Epochs of training. 0 initialises the network (from ``pretrained``)
    without any training step, so the starting point can be evaluated.
    ``"auto"`` budgets enough epochs for some 2,000 gradient steps, from 20
    to 200 (``max_epochs_``), of which early stopping uses what it needs.
lr : float, default=1e-3
    Learning rate.
batch_size : int or "auto", default="auto"
    Rows per mini-batch. ``"auto"`` takes about the square root of the
    training rows, a power of two from 32 to 1024 (``batch_size_``).
validation_fraction : float, "auto" or None, default="auto"
    The share of the rows held out, stratified by group and label, to stop
    on and to go back to the best epoch (without a penalty), or to keep the
    budget on (constraint mode). ``"auto"`` holds out 0.1 without a budget;
    in constraint mode (classification) it holds what the budget needs,
    ``2 / max_gap**2`` rows of the smallest group (a standard error of
    about ``max_gap / 2`` on its rate), within 0.3 of the rows and at least
    0.1 of them, or, on a table of over 50,000 rows, at least 5,000 rows
    (``validation_fraction_`` says what was used). Not held out: with a
    fixed ``penalty_strength`` (whose choice is for cross-validation), in
    ``partial_fit``, when it would hold fewer than 30 rows, when None, or
    when ``train_split`` is given.
optimizer : {"adam", "adamw", "sgd"} or torch optimizer class, default="adam"
    The optimizer; its options go in ``optimizer__*`` parameters.
n_iter_no_change : int or None, default=10
    Stop when the loss has not improved by ``tol`` for this many epochs:
    the validation loss without the penalty when rows are held out (and
    then the best epoch's weights are restored), else the training loss. In
    constraint mode, stop this many epochs after the last improvement of
    the best feasible epoch. None trains all epochs.
tol : float, default=1e-4
    The improvement that counts, for ``n_iter_no_change``.
batch_sampling : {"random", "stratified"}, default="random"
    ``"stratified"`` deals every group into every batch in proportion to its
    size, so that small groups are seen in each batch's penalty.
train_split : callable, default=None
    skorch's internal validation split (``skorch.dataset.ValidSplit(5)``),
    used instead of the stratified slice of ``validation_fraction``.
callbacks : list, default=None
    Extra skorch callbacks; their options go in ``callbacks__*``.
device : str or torch.device, default="cpu"
    Where the network runs, ``"cuda"`` for a GPU.
precision : {"float32", "bfloat16", "float16"}, default="float32"
    The dtype of the training's forward pass and task loss, run under
    ``torch.autocast`` on ``device``. The weights, the optimizer, the
    fairness penalty and constraint mode's multipliers stay float32 (the
    outputs are cast to float32 before the penalty), and predictions are
    computed in float64 whatever the precision. ``"float16"`` scales the
    loss (``torch.amp.GradScaler``, ``net_.grad_scaler_``) and skips a step
    whose gradients overflow. A precision that torch cannot autocast to on
    ``device`` is refused when ``fit`` starts (bfloat16 on a GPU older than
    Ampere, for instance); on the CPU, the torch installed decides (torch
    2.13 runs both).
warm_start : bool, default=False
    Start each ``fit`` from the weights of the previous one (for example
    along a path of ``penalty_strength`` values) instead of afresh.
sampler : object or "reweighing", default=None
    A resampler with ``fit_resample`` (``skfairtune.resampling``, or an
    imbalanced-learn sampler that sets ``sample_indices_``), applied inside
    ``fit`` only, with the sensitive features and sample weights kept aligned
    with the resampled rows; this is how a plain scikit-learn ``Pipeline``,
    which never calls ``fit_resample``, resamples. ``"reweighing"`` keeps the
    rows and multiplies the sample weights by Kamiran and Calders' weights.
random_state : int, RandomState instance or None, default=None
    Seeds the weights' initialisation, the batch order and dropout; the
    same value gives bit-identical predictions.
verbose : int, default=0
    0 silent, 1 skorch's table of epochs, 2 a progress bar over the epochs.
**kwargs
    ``module__*``, ``optimizer__*`` and ``callbacks__*`` parameters,
    forwarded as skorch does.
"""

NOTES_DOC = """
Notes
-----
The network trains in float32 (its forward pass in ``precision``);
predictions are computed in float64 from its weights, so that a row's
prediction does not depend on the rows predicted with it. When the loss or
the weights stop being finite, ``fit`` raises a
:class:`~skfairtune.estimators.DivergenceError` (a ``ValueError``) that says
what to change, rather than return NaN outputs.

scikit-learn's common checks pass with the default parameters, except two
on sample weights that the tags declare as expected failures, with their
reason. scikit-learn reads expected failures only from its argument, so run
the checks as::

    from sklearn.utils import get_tags
    from sklearn.utils.estimator_checks import check_estimator

    check_estimator(est, expected_failed_checks=get_tags(est).expected_failed_checks)
"""

# The attributes that say how the training went, shared by both estimators.
TRAINING_ATTRIBUTES_DOC = """batch_size_ : int
    The batch size used (``batch_size``, or what ``"auto"`` chose).
max_epochs_ : int
    The epoch budget of ``fit`` (``max_epochs``, or what ``"auto"`` chose).
validation_fraction_ : float or None
    The share of the rows held out as the validation slice
    (``validation_fraction``, or what ``"auto"`` chose); None when no
    slice was held out.
penalty_scale_ : float
    The factor on ``penalty_strength`` for this data (1 but for a
    classifier with a rare class; see ``penalty_strength``).
best_epoch_ : int
    Constraint mode: the epoch kept (1-based).
budget_met_ : bool
    Constraint mode: whether the kept epoch's held-out gap (its upper bound
    at ``budget_confidence``, when set) is within ``max_gap``, with
    predictions better than a constant's on the validation slice and on the
    training rows, and not near-constant there (one class for 99% of the
    rows, or a balanced accuracy of 0.52 or less): a constant has no gap,
    and is no fair model.
validation_gap_ : float
    Constraint mode: the kept epoch's gap on the validation slice.
validation_gap_se_ : float
    Constraint mode: the standard error of ``validation_gap_``, from the
    groups' rows on the slice.
fitted_gap_, fitted_gap_se_ : float
    Constraint mode: the kept epoch's gap on every row it was fitted on
    (the slice and the training rows) and its standard error (adjusted as
    for ``gap_upper_bound_``): what ``BudgetUncertainWarning`` reads, since
    the slice's own gap is what the multipliers were steered to.
gap_upper_bound_ : float
    Constraint mode: a 95% upper confidence bound on the kept model's gap,
    ``validation_gap_`` plus 1.645 standard errors, each group's rate
    counted with two more rows of each outcome (Agresti-Coull), so that a
    small group whose rate is 0 or 1 on the slice is not taken as exact; or
    the same on all the rows fitted on (the slice and the training rows),
    whichever is larger, since the multipliers were steered by the slice
    (NaN where the error is unknown: several classes or targets). When the
    kept model's gap on all those rows plus one standard error is over
    ``max_gap``, a ``BudgetUncertainWarning`` says that new data may find
    it over the budget.
"""
