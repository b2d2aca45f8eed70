"""The recorder: a running PyTorch training loop's weight transactions, step by step, into a trace.

    from accelsim.capture.recorder import Recorder
    with Recorder("runs/mine", networks={"q": q, "q_target": q_target, "pi": pi}):
        train()            # unchanged: forwards, backwards, optimizer steps, Polyak updates

What it hooks (all removed on close): a global module forward pre-hook and forward hook (``nn.Linear`` and
``nn.Conv1d/2d/3d`` are layers: their forward GEMM is recorded, and a hook on the output tensor records the
backward autograd actually runs through it: backward-data only where the input's gradient is computed,
backward-weight only where the weight's is); a global optimizer step post-hook (the update by optimizer type,
:mod:`accelsim.capture.optim`); and, at every outermost module call and optimizer step, a look at the version
counters of the target networks' parameters (changed in place outside an optimizer: a Polyak update, or a copy
when the target then equals its online network).

**Networks.** Given ``networks`` (name → module), a layer belongs to the named module that holds it. Otherwise
(``accelsim capture``), a network is the outermost module of the call that first runs one of its layers, named
after the variable or attribute that holds it in the calling frames (``qf1``, ``agent.critic``), else its class.
Its layers are its ``Linear`` and ``Conv`` modules in registration order. A network whose parameters no
optimizer holds, with the layers of one that is held, is that network's *target* (a name containing the online
network's name wins ties).

**Steps.** A trace step is one step of the *pacing* optimizer (the first that steps, unless given). A step's
events run from just after the previous step's last optimizer or target update to its own pacing update, so a
step holds its acting forwards, its training and (on policy-delay steps) the actor update and Polyak update that
follow. Forwards with no backward, of an online network, on a batch smaller than the step's training batch are
*acting* (phase ``act``).

**Not modelled** (counted by name, reported once at close and in ``capture.json``): modules with parameters that
are not layers (``LayerNorm``, ``LSTM``, ``MultiheadAttention`` ...), transposed convolutions, optimizer types
outside the table (a subclass of one in it counts as that one), and parameters an optimizer updates outside any
layer. GEMMs outside modules (``torch.matmul`` in a function) are not seen.

**Target updates** are seen by the target's parameters' version counters at every outermost module call and
optimizer step, and, for writes through ``param.data`` (CleanRL's ``target_param.data.copy_(...)``, which moves
no version counter), by the norms of its layers' biases, looked at once after each optimizer step.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from accelsim.base.atomic import atomic_write_text
from accelsim.capture import events as ev
from accelsim.capture import storage
from accelsim.capture.optim import MODELLED_OPTIMIZERS, update_spec
from accelsim.capture.periodic import PeriodicWriter
from accelsim.trace.formats import DENSE_FORMAT, Format
from accelsim.trace.schema import LayerDecl, NetworkDecl

_get_grad_fn_or_grad_acc: Any = None  # torch.autograd.graph's, bound when a Recorder is made (torch loaded then)

DTYPES = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16", "int8": "int8"}


_DTYPE_OF: dict[Any, str] = {}  # torch dtype -> the trace's name (filled as met)


def _dtype(t: Any) -> str:
    got = _DTYPE_OF.get(t.dtype)
    if got is None:
        got = _DTYPE_OF[t.dtype] = DTYPES.get(str(t.dtype).removeprefix("torch."), "fp32")
    return got


def _optimizer_kind(cls: type) -> str:
    """The optimizer table's name for ``cls``: its own, or its nearest base class the table knows (a subclass
    of ``torch.optim.Adam`` updates as Adam), else its own name (reported as not modelled)."""
    for c in cls.__mro__:
        if c.__name__ in MODELLED_OPTIMIZERS and c.__module__.startswith("torch.optim"):
            return c.__name__
    return cls.__name__


class _Layer:
    """A captured layer: its module, parameters, declaration and current storage."""

    __slots__ = ("_info", "bias", "decl", "dtype", "format", "index", "mask_bits", "mask_key", "module", "network",
                 "weight")

    def __init__(self, module: Any, network: str, index: int, decl: LayerDecl) -> None:
        self.module = module
        self.network = network
        self.index = index
        self.decl = decl
        self.weight = storage.trained_parameter(module, "weight")
        self.bias = storage.trained_parameter(module, "bias")
        self.dtype = _dtype(self.weight)
        self.format: Format = DENSE_FORMAT.resolved(decl.rows, decl.cols)
        self.mask_key: Any = None
        self.mask_bits: bytes | None = None
        self._info: ev.LayerInfo | None = None

    @property
    def info(self) -> ev.LayerInfo:
        """What the rows need of the layer (made again only when its format changed)."""
        got = self._info
        if got is None or got.format is not self.format:
            got = self._info = ev.LayerInfo(self.decl.rows, self.decl.cols,
                                            self.decl.rows if self.bias is not None else 0, self.dtype, self.format)
        return got


def layer_decl(module: Any, index: int, name: str) -> LayerDecl | None:
    """The declaration of a Linear or Conv module (None for any other)."""
    import torch.nn as nn

    if isinstance(module, nn.Linear):
        return LayerDecl(index=index, name=name, kind="linear", rows=module.out_features, cols=module.in_features)
    if isinstance(module, nn.modules.conv._ConvNd) and not module.transposed:
        k = tuple(int(x) for x in storage.trained_parameter(module, "weight").shape)
        pad = module.padding if isinstance(module.padding, tuple) else ()
        return LayerDecl(index=index, name=name, kind="conv", rows=k[0], cols=int(np.prod(k[1:])), kernel=k,
                         stride=tuple(module.stride), padding=tuple(int(p) for p in pad),
                         dilation=tuple(module.dilation), groups=int(module.groups))
    return None


def _find_name(module: Any, frame: Any) -> str | None:
    """The variable (``qf1``) or attribute (``agent.critic``, ``self.actor`` → ``actor``) holding ``module`` in
    the frames from ``frame`` outwards, skipping torch's and accelsim's own."""
    import torch.nn as nn

    while frame is not None:
        mod = frame.f_globals.get("__name__", "")
        if not (mod.startswith("torch") or mod.startswith("accelsim.capture")):
            for space in (frame.f_locals, frame.f_globals):
                for var, obj in list(space.items()):
                    if obj is module and var != "self":  # a method of the module itself: ask its caller
                        return var
                for var, obj in list(space.items()):
                    if var.startswith("__"):
                        continue
                    if isinstance(obj, nn.Module):
                        for sub_name, sub in obj.named_children():
                            if sub is module:
                                return sub_name if var == "self" else f"{var}.{sub_name}"
                    elif hasattr(obj, "__dict__") and not isinstance(obj, type) and type(obj).__module__ != "module":
                        try:
                            attrs = vars(obj)
                        except TypeError:
                            continue
                        for attr, sub in attrs.items():
                            if sub is module:
                                return attr if var == "self" else f"{var}.{attr}"
        frame = frame.f_back
    return None


class Recorder:
    """Records a PyTorch training loop into ``RUN_DIR/trace`` (schema version 2); see the module docstring.

    Args:
        run_dir: the run folder: the trace goes to ``run_dir/trace``, a summary to ``run_dir/capture.json``.
        networks: name → module; None finds them (see the module docstring).
        run_meta: extra run metadata (JSON-serialisable).
        formats: module → the :class:`~accelsim.trace.formats.Format` its weight is stored in.
        pacing: the optimizer whose steps are the trace's steps (None: the first that steps).
        sparse_scheme: how a masked or zero-holding weight is stored: "bitmap" or "csr".
        scan_every: steps between looks for zeros in weights (and for a declared sparse format's kept units).
        detect_steps: steps held to find the period (:class:`~accelsim.capture.periodic.PeriodicWriter`).
        flush_every_s: seconds between trace parts.
        quiet: do not print the not-modelled summary at close.
    """

    def __init__(self, run_dir: str | os.PathLike, networks: Mapping[str, Any] | None = None,
                 run_meta: Mapping[str, Any] | None = None, formats: Mapping[Any, Format] | None = None,
                 pacing: Any = None, sparse_scheme: str = "bitmap", scan_every: int = 100,
                 detect_steps: int = 1024, flush_every_s: float | None = 30.0, quiet: bool = False) -> None:
        global _get_grad_fn_or_grad_acc
        import torch  # noqa: F401  (fails here, not inside a hook, when torch is missing)
        from torch.autograd.graph import _get_grad_fn_or_grad_acc as node_of

        _get_grad_fn_or_grad_acc = node_of

        if sparse_scheme not in storage.SPARSE_SCHEMES:
            raise ValueError(f"sparse_scheme must be one of {storage.SPARSE_SCHEMES}")
        self.run_dir = Path(run_dir)
        self._given = dict(networks or {})
        self._extra_meta = dict(run_meta or {})
        self._formats = {id(m): f for m, f in (formats or {}).items()}
        self._pacing = pacing
        self.sparse_scheme = sparse_scheme
        self.scan_every = max(1, int(scan_every))
        self.quiet = quiet
        self.unmodelled: collections.Counter[str] = collections.Counter()
        self._nets: dict[str, list[_Layer]] = {}          # network -> its layers
        self._roots: dict[int, str] = {}                   # id(root module) -> network
        self._leaf: dict[int, _Layer] = {}                 # id(layer module) -> layer
        self._param: dict[int, tuple[_Layer, str]] = {}    # id(parameter) -> (layer, "weight" | "bias")
        self._root_objs: dict[str, Any] = {}
        self._roles: dict[str, tuple[str, str]] = {}       # network -> (role, target_of), once decided
        self._versions: dict[str, tuple[int, ...]] = {}    # target network -> its parameters' versions
        self._prints: dict[str, Any] = {}                  # target network -> its layers' bias norms [n_layers]
        self._stepped = False                              # an optimizer stepped since the last fingerprint look
        self._optimized: set[int] = set()
        self._opt_seen: dict[int, int] = {}
        self._stack: list[Any] = []
        self._plain: dict[int, tuple[Any, str]] = {}       # id(module that is no layer) -> (module, not-modelled label)
        self._params_of: dict[str, list[Any]] = {}         # target network -> its parameters
        self._events: list[ev.Event] = []
        self._last_pacing = -1
        self._pacing_steps = 0
        self._batches: collections.Counter[int] = collections.Counter()
        self._handles: list[Any] = []
        self._start = 0.0
        self._builder = ev.RowBuilder(self._layer_info, self._is_target, lambda n: len(self._nets[n]))
        self._writer = PeriodicWriter(self.run_dir / "trace", self._run_meta, self.declaration,
                                      detect_steps=detect_steps, flush_every_s=flush_every_s)
        self.closed = False
        self._decl_cache: tuple[NetworkDecl, ...] | None = None
        self._emitted = 0

    # -- lifecycle
    def __enter__(self) -> Recorder:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Install the hooks."""
        self._start = time.monotonic()
        self._install()
        for name, module in self._given.items():
            self._add_network(name, module)

    def _install(self) -> None:
        from torch.nn.modules import module as nn_module
        from torch.optim import optimizer as optim_module

        self._handles = [
            nn_module.register_module_forward_pre_hook(self._pre),
            nn_module.register_module_forward_hook(self._post, always_call=True),
            optim_module.register_optimizer_step_post_hook(self._opt_post),
        ]

    def close(self) -> None:
        """Remove the hooks, end the last step, write the last part and ``capture.json``; report what was not
        modelled (once per name, on stderr)."""
        if self.closed:
            return
        self.closed = True
        for h in self._handles:
            h.remove()
        self._handles = []
        if self._pacing_steps:
            self._check_targets(fingerprint=True)
            self._emit(self._events)
            self._events = []
        self._writer.close()
        summary = {
            "steps": self._writer.steps, "period": self._writer.period,
            "networks": [n.to_dict() for n in self.declaration()],
            "not_modelled": dict(sorted(self.unmodelled.items())),
            "seconds": round(time.monotonic() - self._start, 3),
        }
        self.run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.run_dir / "capture.json", json.dumps(summary, indent=2, sort_keys=True) + "\n")
        if self.unmodelled and not self.quiet:
            for name, count in sorted(self.unmodelled.items()):
                sys.stderr.write(f"accelsim capture: not modelled (left out of the trace): {name}: {count:,}\n")

    @property
    def steps(self) -> int:
        """Trace steps written so far (held steps count once the period is found)."""
        return self._writer.steps

    # -- what the user may add
    def batch_read(self, rows: int, cols: int, network: str = "replay", dtype: str = "fp32") -> None:
        """Record that the step reads a training batch of ``rows`` samples × ``cols`` values from ``network`` (a
        data source, declared on first use)."""
        if network not in self._nets:
            self._nets[network] = []
            self._roles[network] = ("data", "")
        self._events.append(ev.BatchRead(network, int(rows), int(cols), dtype))

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Record nothing inside (an evaluation the trace should leave out)."""
        handles, self._handles = self._handles, []
        for h in handles:
            h.remove()
        try:
            yield
        finally:
            self._install()

    # -- networks
    def _add_network(self, name: str, root: Any) -> None:
        base, k = name, 2
        while name in self._nets:
            name, k = f"{base}_{k}", k + 1
        layers: list[_Layer] = []
        for path, sub in root.named_modules():
            if id(sub) in self._leaf:
                continue
            decl = layer_decl(sub, len(layers), path or type(sub).__name__)
            if decl is None:
                continue
            layer = _Layer(sub, name, len(layers), decl)
            layers.append(layer)
            self._leaf[id(sub)] = layer
            self._param[id(layer.weight)] = (layer, "weight")
            if layer.bias is not None:
                self._param[id(layer.bias)] = (layer, "bias")
        if not layers:
            return
        self._decl_cache = None
        self._nets[name] = layers
        self._roots[id(root)] = name
        self._root_objs[name] = root

    def _discover(self, module: Any) -> None:
        root = self._stack[0] if self._stack else module
        name = _find_name(root, sys._getframe(1)) or type(root).__name__
        self._add_network(name, root)
        if id(module) not in self._leaf:  # the root held no new layer: the module is a network of its own
            self._add_network(_find_name(module, sys._getframe(1)) or type(module).__name__, module)

    def _role(self, net: str) -> tuple[str, str]:
        """(role, target_of) of ``net``: decided at its first look after an optimizer has stepped (a network no
        optimizer holds and that matches no trained network stays undecided until the trace's writer starts)."""
        got = self._roles.get(net)
        if got is not None:
            return got
        if not self._opt_seen:
            return ("online", "")
        layers = self._nets[net]
        if any(id(lay.weight) in self._optimized for lay in layers):
            role: tuple[str, str] = ("online", "")
        else:
            shape = [(lay.decl.kind, lay.decl.rows, lay.decl.cols) for lay in layers]
            cands = [n for n, ls in self._nets.items() if n != net and ls
                     and any(id(lay.weight) in self._optimized for lay in ls)
                     and [(lay.decl.kind, lay.decl.rows, lay.decl.cols) for lay in ls] == shape]
            named = sorted((c for c in cands if c in net), key=len, reverse=True)
            pick = named[0] if named else (cands[0] if cands else "")
            role = ("target", pick) if pick else ("online", "")
            if pick:
                self._versions[net] = self._param_versions(net)
                self._stepped = True  # take the new target's fingerprint at the next look
            elif self._writer.writer is None:
                return role  # maybe a target whose online network's optimizer has not stepped yet: ask again
        self._roles[net] = role
        self._decl_cache = None
        return role

    def _is_target(self, net: str) -> bool:
        return self._role(net)[0] == "target"

    def declaration(self) -> tuple[NetworkDecl, ...]:
        """The networks seen so far, declared (schema version 2)."""
        for name in self._nets:
            self._role(name)
        if self._decl_cache is None or any(n not in self._roles for n in self._nets):
            self._decl_cache = tuple(
                NetworkDecl(name=name, role=self._roles.get(name, ("online", ""))[0],
                            target_of=self._roles.get(name, ("online", ""))[1],
                            layers=tuple(lay.decl for lay in layers))
                for name, layers in self._nets.items())
        return self._decl_cache

    def _run_meta(self) -> dict[str, Any]:
        import torch

        batch = self._batches.most_common(1)[0][0] if self._batches else 0
        return {"source": "accelsim capture", "torch": torch.__version__, "batch": batch,
                "sparse_scheme": self.sparse_scheme, "scan_every": self.scan_every, **self._extra_meta}

    def _layer_info(self, net: str, layer: int) -> ev.LayerInfo:
        return self._nets[net][layer].info

    # -- hooks
    def _pre(self, module: Any, args: Any) -> None:
        if not self._stack and self._versions:
            self._check_targets(fingerprint=self._stepped)
        self._stack.append(module)

    def _post(self, module: Any, args: Any, output: Any) -> None:
        stack = self._stack
        if stack and stack[-1] is module:
            stack.pop()
        elif module in stack:
            del stack[stack.index(module):]
        self._forward(module, args, output)

    def _forward(self, module: Any, args: Any, output: Any) -> None:
        import torch

        layer = self._leaf.get(id(module))
        if layer is None:
            plain = self._plain.get(id(module))
            if plain is not None and plain[0] is module:  # seen before: no layer
                if plain[1]:
                    self.unmodelled[plain[1]] += 1
                return
            if layer_decl(module, 0, "") is not None:
                self._stack.append(module)  # as it was during the call, for _discover
                try:
                    self._discover(module)
                finally:
                    self._stack.pop()
                layer = self._leaf.get(id(module))
            if layer is None:
                label = ""
                if any(p is not None for p in module._parameters.values()) and not isinstance(
                        module, torch.nn.Linear | torch.nn.modules.conv._ConvNd):
                    label = f"module {type(module).__name__}"
                elif isinstance(module, torch.nn.modules.conv._ConvNd):
                    label = f"module {type(module).__name__} (transposed convolution)"
                self._plain[id(module)] = (module, label)  # its layers, if any, were seen first (inner hooks)
                if label:
                    self.unmodelled[label] += 1
                return
        x = args[0] if args else None
        if not isinstance(x, torch.Tensor) or not isinstance(output, torch.Tensor):
            self.unmodelled[f"module {type(module).__name__} called without a tensor input"] += 1
            return
        d = layer.decl
        if d.kind == "linear":
            m = x.numel() // d.cols
            in_shape, out_shape = (m, d.cols), (m, d.rows)
            samples = int(x.shape[0]) if x.dim() > 1 else 1
        else:
            samples = int(x.shape[0]) if x.dim() == len(d.kernel) else 1
            m = output.numel() // d.rows
            in_shape = (samples, x.numel() // samples)
            out_shape = (samples, output.numel() // samples)
        f = ev.Forward(layer.network, layer.index, m, d.cols, d.rows, in_shape, out_shape, samples, _dtype(x))
        self._events.append(f)
        if output.requires_grad:
            x_node = _get_grad_fn_or_grad_acc(x) if x.requires_grad else None
            w = module.weight
            w_node = _get_grad_fn_or_grad_acc(w) if w.requires_grad else None
            output.register_hook(partial(self._backward, f, x_node, w_node))

    def _backward(self, f: ev.Forward, x_node: Any, w_node: Any, grad: Any) -> None:
        import torch

        def runs(node: Any) -> bool:
            if node is None:
                return False
            try:
                return bool(torch._C._will_engine_execute_node(node))
            except RuntimeError:  # a leaf under torch.autograd.grad: cannot ask; its gradient was asked for
                return True

        data, weight = runs(x_node), runs(w_node)
        f.backward = True
        self._batches[f.samples] += 1
        self._events.append(ev.Backward(f, data, weight))

    def _opt_post(self, opt: Any, args: Any, kwargs: Any) -> None:
        if self._pacing is None:
            self._pacing = opt
        n = sum(len(g["params"]) for g in opt.param_groups)
        if self._opt_seen.get(id(opt)) != n:
            self._opt_seen[id(opt)] = n
            self._optimized.update(id(p) for g in opt.param_groups for p in g["params"])
        for net in self._nets:  # roles are decided once an optimizer has stepped (targets get their baseline)
            self._role(net)
        self._check_targets(fingerprint=self._stepped)
        self._stepped = True
        kind = _optimizer_kind(type(opt))
        layers: dict[tuple[str, int], tuple[tuple[str, ...], int]] = {}
        for g in opt.param_groups:
            spec = update_spec(kind, g)
            if not spec.modelled:
                self.unmodelled[f"optimizer {kind} (recorded as a plain weight update, no state)"] += 1
            for p in g["params"]:
                if p.grad is None:
                    continue
                hit = self._param.get(id(p))
                if hit is None:
                    self.unmodelled[f"parameter outside any layer updated by {kind}"] += 1
                    continue
                lay = hit[0]
                layers.setdefault((lay.network, lay.index), (spec.state, spec.flops_per_elem))
        pacing = opt is self._pacing
        if layers or pacing:
            keys = tuple(layers)
            self._events.append(ev.Update(keys, tuple(layers[k][0] for k in keys),
                                          tuple(layers[k][1] for k in keys), pacing))
        if pacing:
            self._on_pacing()

    # -- steps
    def _on_pacing(self) -> None:
        evs = self._events
        if self._pacing_steps:
            cut = ev.split_point(evs, self._last_pacing)
            self._emit(evs[:cut])
            self._events = evs = evs[cut:]
        self._last_pacing = len(evs) - 1
        self._pacing_steps += 1

    def _param_versions(self, net: str) -> tuple[int, ...]:
        return tuple([p._version for p in self._params(net)])

    def _params(self, net: str) -> list[Any]:
        """The network's trained parameters, [weight, bias] per layer (fixed once its layers are known)."""
        got = self._params_of.get(net)
        if got is None:
            got = self._params_of[net] = [p for lay in self._nets[net] for p in (lay.weight, lay.bias)
                                          if p is not None]
        return got

    def _print_params(self, net: str) -> list[Any]:
        """What a fingerprint looks at: each layer's bias (every unit's, small), else its weight."""
        return [lay.bias if lay.bias is not None else lay.weight for lay in self._nets[net]]

    def _fingerprint(self) -> list[float]:
        """The norms of every target network's layer biases (weights where a layer has none), in
        ``self._versions`` order, [sum of n_layers] (one fused call): a write through ``param.data`` (CleanRL's
        Polyak, ``target_param.data.copy_(...)``) moves no version counter, but moves these."""
        import torch

        params = [p for net in self._versions for p in self._print_params(net)]
        with torch.no_grad():
            return torch.stack(torch._foreach_norm(params)).tolist() if params else []

    def _check_targets(self, fingerprint: bool = False) -> None:
        """Record a :class:`~accelsim.capture.events.TargetUpdate` for each target network changed in place since
        the last look: its parameters' version counters moved, or (``fingerprint``: at the first look after an
        optimizer step, once per optimizer step) their biases' norms did."""
        import torch

        changed: list[str] = []
        for net, old in self._versions.items():
            now = self._param_versions(net)
            if now != old:
                self._versions[net] = now
                changed.append(net)
        if fingerprint or changed:
            self._stepped = False
            fp, old_fp, i = self._fingerprint(), self._prints, 0
            for net in self._versions:
                n = len(self._nets[net])
                if net not in changed and net in old_fp and fp[i:i + n] != old_fp[net]:
                    changed.append(net)
                self._prints[net] = fp[i:i + n]
                i += n
        for net in changed:
            online = self._roles[net][1]
            with torch.no_grad():
                copy = all(torch.equal(t.weight, o.weight) for t, o in zip(self._nets[net], self._nets[online],
                                                                            strict=True))
            self._events.append(ev.TargetUpdate(net, online, copy))

    def _emit(self, events: list[ev.Event]) -> None:
        scan = self._emitted % self.scan_every == 0
        for layers in self._nets.values():
            for lay in layers:
                self._refresh_storage(lay, scan)
        self._writer.add_step(self._builder.step_rows(events))
        self._emitted += 1

    def _refresh_storage(self, lay: _Layer, scan: bool) -> None:
        """Look at the layer's storage when it may have changed: a new or edited prune mask, a newly declared
        format, or a scan step (zeros, a declared sparse format's kept units)."""
        mask = storage.prune_mask(lay.module)
        declared = self._formats.get(id(lay.module)) or storage.parametrized_format(lay.module)
        key = ("mask", id(mask), mask._version) if mask is not None else ("declared", declared)
        if key == lay.mask_key and not scan:
            return
        lay.mask_key = key
        got = storage.layer_storage(lay.module, lay.decl.rows, lay.decl.cols, lay.dtype, declared,
                                    self.sparse_scheme, True)
        if got is None:
            return
        fmt, m = got
        lay.format = fmt
        bits = None if m is None else np.packbits(m.ravel()).tobytes()
        if bits is not None and bits != lay.mask_bits:
            self._writer.add_mask(lay.network, lay.index, m, fmt.scheme)
        lay.mask_bits = bits
