"""skfairtune.exceptions: one home for every warning and error class."""

import inspect
import subprocess
import sys

import skfairtune.exceptions as exceptions


def test_every_class_is_exported_where_it_is_raised_too():
    from skfairtune.datasets import load_adult
    from skfairtune.estimators import BudgetUncertainWarning, DivergenceError, FairnessWarning
    from skfairtune.metrics import UndefinedGroupWarning
    from skfairtune.model_selection import (
        AllDegenerateError,
        BudgetNotMetWarning,
        DegenerateModelWarning,
    )

    try:  # the loaders validate with scikit-learn's validate_params
        load_adult(split="dev")
    except ValueError as error:
        datasets_error = type(error)
    same = [DivergenceError, FairnessWarning, UndefinedGroupWarning, BudgetNotMetWarning,
            BudgetUncertainWarning, DegenerateModelWarning, AllDegenerateError,
            datasets_error]
    assert {c.__name__ for c in same} == set(exceptions.__all__)
    for cls in same:
        assert getattr(exceptions, cls.__name__) is cls


def test_errors_are_the_types_user_code_already_catches():
    from sklearn.exceptions import UndefinedMetricWarning
    from sklearn.utils._param_validation import InvalidParameterError

    assert issubclass(exceptions.DivergenceError, ValueError)
    assert issubclass(exceptions.AllDegenerateError, ValueError)
    assert issubclass(exceptions.UndefinedGroupWarning, UndefinedMetricWarning)
    assert exceptions.InvalidParameterError is InvalidParameterError  # scikit-learn's own
    for name in exceptions.__all__:
        assert inspect.getdoc(getattr(exceptions, name))


def test_importing_the_exceptions_loads_no_torch():
    code = "import sys, skfairtune.exceptions; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"
