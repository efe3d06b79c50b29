"""Reading pre-trained weights: safe, and clear about what is wrong."""

import builtins
import os
import re
import zipfile

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from skfairtune import FairTuneClassifier
from skfairtune._mlp import MLP
from skfairtune.pretrained import (
    freeze_parameters,
    load_state_dict,
    read_pretrained,
    read_weight_file,
    save_weights,
)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    return X, (X[:, 0] > 0).astype(int), rng.integers(0, 2, 40)


@pytest.fixture
def module():
    torch.manual_seed(0)
    return MLP(3, 2, (4,))


def _fit_from(source, data, **kwargs):
    X, y, group = data
    est = FairTuneClassifier(pretrained=source, max_epochs=0, **kwargs)
    return est.fit(X, y, sensitive_features=group)


# -- round trips ---------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".safetensors", ".pt", ".pth"])
def test_weight_file_round_trip(module, tmp_path, suffix):
    path = tmp_path / f"w{suffix}"
    if suffix == ".safetensors":
        save_weights(module, path)
    else:
        torch.save(module.state_dict(), path)
    state = read_weight_file(path)
    assert state.keys() == module.state_dict().keys()
    for name, tensor in module.state_dict().items():
        assert torch.equal(state[name], tensor)


def test_save_weights_needs_safetensors_suffix(module, tmp_path):
    with pytest.raises(ValueError, match=r"\.safetensors"):
        save_weights(module, tmp_path / "w.pt")


def test_read_pretrained_copies_module(module):
    source = read_pretrained(module)
    assert source.module is not module
    with torch.no_grad():
        module.output.bias.add_(1.0)
    assert not torch.equal(source.state_dict["output.bias"], module.output.bias)


# -- files that are not what they claim ------------------------------------------------

def test_missing_file(tmp_path, data):
    path = tmp_path / "nowhere.safetensors"
    with pytest.raises(FileNotFoundError, match="nowhere.safetensors"):
        _fit_from(path, data)
    with pytest.raises(FileNotFoundError, match="nowhere.pt"):
        read_weight_file(str(tmp_path / "nowhere.pt"))


@pytest.mark.parametrize("name", ["w.bin", "w.ckpt", "w.npz", "weights"])
def test_unsupported_suffix(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(b"\x00" * 16)
    with pytest.raises(ValueError, match=r"unsupported file type.*\.safetensors"):
        _fit_from(path, data)


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
@pytest.mark.parametrize("keep", [0.5, 0.9, 10])
def test_truncated_file(module, tmp_path, suffix, keep, data):
    full = tmp_path / f"full{suffix}"
    if suffix == ".safetensors":
        save_weights(module, full)
    else:
        torch.save(module.state_dict(), full)
    content = full.read_bytes()
    cut = keep if isinstance(keep, int) else int(len(content) * keep)
    path = tmp_path / f"cut{suffix}"
    path.write_bytes(content[:cut])
    with pytest.raises(ValueError, match="cut" + suffix.replace(".", r"\.")):
        _fit_from(path, data, hidden_layer_sizes=(4,))


_NOT_WEIGHTS = {
    "empty": b"",
    "csv": b"sex,age,label\nf,30,1\nm,41,0\n",
    "text": b"hello world",
    "png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
}


@pytest.mark.parametrize(
    "suffix, content",
    [
        pytest.param(suffix, content, id=f"{kind}{suffix}")
        for suffix in (".safetensors", ".pt", ".pth")
        for kind, content in _NOT_WEIGHTS.items()
    ],
)
def test_not_a_weight_file(tmp_path, suffix, content, data):
    path = tmp_path / f"renamed{suffix}"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="renamed"):
        _fit_from(path, data)


@pytest.mark.parametrize("payload", [[torch.zeros(2)], {"step": 3}, {}],
                         ids=["list", "no-tensor", "empty"])
def test_pt_holding_no_state_dict(tmp_path, payload, data):
    path = tmp_path / "odd.pt"
    torch.save(payload, path)
    with pytest.raises(ValueError, match="odd.pt"):
        _fit_from(path, data)


def test_pt_holding_whole_module_is_refused(module, tmp_path, data):
    path = tmp_path / "module.pt"
    torch.save(module, path)
    with pytest.raises(ValueError, match="state_dict"):
        _fit_from(path, data)


class _RunsCode:
    """Unpickling this calls ``func(*args)``: what a malicious file does."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


@pytest.mark.parametrize("how", ["os.system", "exec"])
@pytest.mark.parametrize("where", ["top", "nested"])
def test_pt_with_code_is_refused_and_never_runs(module, tmp_path, how, where, data):
    marker = tmp_path / "pwned"
    if how == "os.system":
        payload = _RunsCode(os.system, f"touch '{marker}'")
    else:
        payload = _RunsCode(builtins.exec, f"open({str(marker)!r}, 'w').close()")
    if where == "nested":
        payload = {**module.state_dict(), "extra": payload}
    path = tmp_path / "evil.pt"
    torch.save(payload, path)
    assert not marker.exists()  # saving does not run it
    with pytest.raises(ValueError, match="refused"):
        _fit_from(path, data)
    with pytest.raises(ValueError, match="refused"):
        read_weight_file(path)
    assert not marker.exists()


def test_refusal_of_code_is_short_and_never_suggests_unsafe_loading(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"w": _RunsCode(os.system, "true")}, path)
    with pytest.raises(ValueError) as info:
        read_weight_file(path)
    message = str(info.value)
    # torch's own advice (weights_only=False "will likely succeed") would run the code
    assert "weights_only" not in message and "succeed" not in message
    assert "\n" not in message and len(message) < 300
    assert "objects other than tensors" in message
    assert "cannot be loaded safely" in message
    assert "state_dict()" in message and ".safetensors" in message


def _pt_claiming(path, numel):
    """A .pt file whose one storage claims ``numel`` elements but holds 4."""
    torch.save({"w": torch.ones(4)}, path)
    with zipfile.ZipFile(path) as zf:
        entries = {name: zf.read(name) for name in zf.namelist()}
    pkl = next(name for name in entries if name.endswith("data.pkl"))
    # The storage record is (..., 'cpu', numel): a 1-byte int, made an 8-byte one.
    claimed = b"\x8a\x08" + numel.to_bytes(8, "little")
    entries[pkl], n = re.subn(rb"(X\x03\x00\x00\x00cpu(?:q.)?)K\x04",
                              lambda m: m.group(1) + claimed, entries[pkl])
    assert n == 1
    with zipfile.ZipFile(path, "w") as zf:
        for name, content in entries.items():
            zf.writestr(name, content)
    return path


@pytest.mark.parametrize("numel", [2**62, 2**40, 100], ids=["2**62", "2**40", "100"])
def test_pt_claiming_more_elements_than_it_holds(tmp_path, numel, data):
    path = _pt_claiming(tmp_path / "big.pt", numel)
    with pytest.raises(ValueError, match=r"'.*big\.pt' is not a valid weight file") as info:
        read_weight_file(path)
    assert "get_storage_from_record" not in str(info.value)
    with pytest.raises(ValueError, match="not a valid weight file"):
        _fit_from(path, data)


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_folder_named_like_a_weight_file(tmp_path, suffix, data):
    folder = tmp_path / f"weights{suffix}"
    folder.mkdir()
    with pytest.raises(ValueError, match=f"weights\\{suffix}' is a folder, not a weight file"):
        read_weight_file(folder)
    with pytest.raises(ValueError, match="is a folder"):
        _fit_from(folder, data)


def test_save_weights_into_missing_folder(module, tmp_path):
    path = tmp_path / "not" / "there" / "w.safetensors"
    with pytest.raises(FileNotFoundError, match=r"the folder '.*there' does not exist"):
        save_weights(module, path)
    assert not (tmp_path / "not").exists()


def test_save_weights_onto_a_folder(module, tmp_path):
    folder = tmp_path / "w.safetensors"
    folder.mkdir()
    with pytest.raises(ValueError, match="is a folder"):
        save_weights(module, folder)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_load_state_dict_refuses_non_finite_weights(module, value):
    before = {k: v.clone() for k, v in module.state_dict().items()}
    bad = {k: v.clone() for k, v in module.state_dict().items()}
    bad["hidden.0.bias"][2] = value
    with pytest.raises(ValueError, match=r"NaN or infinite values in 'hidden\.0\.bias'"):
        load_state_dict(module, bad)
    for name, tensor in module.state_dict().items():
        assert torch.equal(tensor, before[name])


# -- weights that do not fit the network -----------------------------------------------

def test_shape_mismatch_names_layer_and_shapes(tmp_path, data):
    path = tmp_path / "w.safetensors"
    save_weights(MLP(5, 2, (8,)), path)  # five features; the data have three
    with pytest.raises(ValueError, match=r"'hidden\.0\.weight'.*\(8, 5\).*\(8, 3\)"):
        _fit_from(path, data, hidden_layer_sizes=(8,))


def test_hidden_size_mismatch(tmp_path, data):
    state = MLP(3, 2, (8,)).state_dict()
    with pytest.raises(ValueError, match=r"\(8, 3\).*\(6, 3\).*hidden_layer_sizes"):
        _fit_from(state, data, hidden_layer_sizes=(6,))


def test_missing_and_unexpected_names(data):
    state = MLP(3, 2, (4, 4)).state_dict()
    with pytest.raises(ValueError, match=r"unexpected \['hidden\.1\.bias'"):
        _fit_from(state, data, hidden_layer_sizes=(4,))
    state = MLP(3, 2, (4,)).state_dict()
    with pytest.raises(ValueError, match=r"missing \['hidden\.1\.bias'"):
        _fit_from(state, data, hidden_layer_sizes=(4, 4))


def test_load_state_dict_leaves_module_on_error(module):
    before = {k: v.clone() for k, v in module.state_dict().items()}
    bad = {**module.state_dict(), "output.bias": torch.zeros(3)}
    bad["hidden.0.weight"] = torch.ones(4, 3)
    with pytest.raises(ValueError, match="output.bias"):
        load_state_dict(module, bad)
    for name, tensor in module.state_dict().items():
        assert torch.equal(tensor, before[name])


def test_integer_weights_for_float_parameters_are_refused(module, tmp_path, data):
    path = tmp_path / "w.safetensors"
    state = {k: (v * 10).to(torch.int32) for k, v in MLP(3, 2, (64,)).state_dict().items()}
    from safetensors.torch import save_file

    save_file(state, str(path))
    with pytest.raises(ValueError, match=r"'(hidden\.0\.bias)' as torch\.int32, but the "
                                         r"network's '\1' is torch\.float32 \(4 tensor"):
        _fit_from(path, data)
    # float64 weights only round to float32: they load
    doubles = {k: v.double() for k, v in module.state_dict().items()}
    load_state_dict(module, doubles)
    assert module.state_dict()["hidden.0.weight"].dtype == torch.float32


def test_state_dict_with_non_tensor(data):
    with pytest.raises(ValueError, match="not a state dict"):
        _fit_from({"hidden.0.weight": [[0.0] * 3] * 4}, data)


# -- sources that are not fitted or not supported ----------------------------------

@pytest.mark.parametrize("source", [LogisticRegression(), FairTuneClassifier()],
                         ids=["sklearn", "skfairtune"])
def test_unfitted_source(source, data):
    with pytest.raises(NotFittedError, match="not fitted"):
        _fit_from(source, data)


@pytest.mark.parametrize("source", [3, object(), np.zeros((3, 2))])
def test_unsupported_source(source, data):
    with pytest.raises(TypeError, match="pretrained must be"):
        _fit_from(source, data)


# -- freezing ---------------------------------------------------------------------

def test_freeze_parameters_patterns(module):
    frozen = freeze_parameters(module, ["hidden.*", "output.bias"])
    assert frozen == ["hidden.0.weight", "hidden.0.bias", "output.bias"]
    flags = {name: p.requires_grad for name, p in module.named_parameters()}
    assert flags == {"hidden.0.weight": False, "hidden.0.bias": False,
                     "output.weight": True, "output.bias": False}
    assert freeze_parameters(MLP(3, 2, (4,)), None) == []


@pytest.mark.parametrize("pattern", ["hidden.3.*", "Output.bias", "output"])
def test_freeze_pattern_matching_nothing_names_it(module, pattern):
    with pytest.raises(ValueError, match=f"{pattern!r}.*matches no parameter"):
        freeze_parameters(module, ["hidden.0.weight", pattern])


def test_sequential_weights_with_default_module_show_both_sides(data):
    # A state dict saved from a user's own nn.Sequential, fitted with module=None.
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    with pytest.raises(ValueError) as info:
        _fit_from(net.state_dict(), data, hidden_layer_sizes=(4,))
    message = str(info.value)
    assert "The weights hold 0.weight (4, 3), 0.bias (4,), 2.weight (2, 4)" in message
    assert "The network has hidden.0.weight (4, 3), hidden.0.bias (4,)" in message
    assert "pass module= the class (or an instance) of the network" in message


def test_shape_mismatch_lists_both_sides(data):
    state = MLP(3, 2, (8,)).state_dict()
    with pytest.raises(ValueError, match=r"\(3 layer\(s\) differ\)[\s\S]*The weights hold "
                                         r"hidden\.0\.weight \(8, 3\)[\s\S]*The network has "
                                         r"hidden\.0\.weight \(6, 3\)"):
        _fit_from(state, data, hidden_layer_sizes=(6,))
