"""Compression methods on the actor and both critics: dense, gst, ip, bc, nm, dst (docs/gst.md).

A :class:`Compressor` owns every compressible layer of the online networks and their target copies. It
decides modes and masks (at init, on a grad-step schedule, or at evaluations for GST), keeps the targets on
the online structure, and describes the current storage of every layer as an accelsim
:class:`~accelsim.trace.formats.Format`, so traces and compression ratios use accelsim's formats module.

``version`` increases whenever any layer's format or mask changes; ``drain_changes()`` returns the layers
whose masks changed since the last call (for mask snapshots in the trace).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from accelsim.trace import formats
from accelsim.trace.formats import Format
from gst_train import masks as M
from gst_train.config import TrainConfig
from gst_train.controller import RewardAwareTarget
from gst_train.gst import GSTPolicy, LayerPlan
from gst_train.layers import CompressedLinear

ONLINE = ("actor", "critic1", "critic2")


class Compressor:
    """Compression state of the six networks (targets follow their online network)."""

    def __init__(self, cfg: TrainConfig, online: dict[str, list[CompressedLinear]],
                 targets: dict[str, list[CompressedLinear]],
                 optimizers: Callable[[], list[torch.optim.Optimizer | None]], seed: int,
                 on_change: Callable[[], None] | None = None) -> None:
        """``on_change`` is called after any mode or mask change (the agent drops its cached weights)."""
        self.cfg = cfg
        self.method = cfg.method
        self.online = online
        self.targets = targets
        self.optimizers = optimizers
        self.on_change = on_change or (lambda: None)
        self.rng = np.random.default_rng(seed + 7919)
        self.version = 0
        self._changed: list[tuple[str, int]] = []
        # scheme per (net, layer): "dense", "bc", "group", "bitmap", "nm"
        self.scheme: dict[tuple[str, int], str] = {k: "dense" for k in self.keys()}
        self.controller = RewardAwareTarget(cfg.sparsity_min, cfg.sparsity_max, cfg.sparsity_step, cfg.reward_window,
                                            cfg.reward_tolerance, cfg.reward_tolerance_abs, cfg.hold_evals,
                                            noise_z=cfg.reward_noise_z)
        self.ip_sparsity = 0.0
        self.gst = GSTPolicy(self._plans(), switch=cfg.gst_switch, window=cfg.reward_window,
                             ramp_steps=cfg.gst_ramp_steps, revert_evals=cfg.gst_revert_evals,
                             s_max=cfg.sparsity_max) if cfg.method == "gst" else None
        self._init_modes()  # one phase: a constructed compressor has its method's initial modes and masks

    def _plans(self) -> dict[tuple[str, int], LayerPlan]:
        """GST's per-layer break-even sparsity (group-sparse stores fewer bytes than BC above it) and ranking.

        Layers GST may not switch (``--gst-bc-only-layers``) get no plan: they stay BC all run."""
        cfg = self.cfg
        gr, gc = cfg.group_rows, cfg.group_cols
        plans = {}
        for net, l in self.keys():
            if not self.compressible(net, l) or not cfg.gst_may_switch(l):
                continue
            rows, cols = self.online[net][l].out_features, self.online[net][l].in_features
            n_groups = -(-rows // gr) * -(-cols // gc)
            bc = self._bytes(Format("bc", block_size=cfg.block_size), rows, cols)

            def grp(k: int, rows=rows, cols=cols) -> int:
                return self._bytes(Format("group", group_rows=gr, group_cols=gc, nnz_units=k), rows, cols)

            # The most groups that still store fewer bytes than BC (at least 1): bytes grow with the number of
            # groups kept, so bisect (a linear walk costs seconds of set-up on 256x256 layers).
            lo, hi = 1, n_groups
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if grp(mid) < bc:
                    lo = mid
                else:
                    hi = mid - 1
            k = lo
            k_max = M.n_keep(n_groups, cfg.sparsity_max)
            plans[(net, l)] = LayerPlan(break_even=1.0 - k / n_groups, bytes_saved_per_sparsity=float(bc - grp(k_max)))
        return plans

    # ------------------------------------------------------------------ layers
    def keys(self) -> list[tuple[str, int]]:
        return [(net, l) for net in ONLINE for l in range(len(self.online[net]))]

    def compressible(self, net: str, l: int) -> bool:
        return self.cfg.layer_compressible(l, len(self.online[net]))

    def _layers(self, net: str, l: int) -> tuple[CompressedLinear, CompressedLinear]:
        return self.online[net][l], self.targets[net][l]

    def _zero_moments(self, layer: CompressedLinear) -> None:
        """Pruned weights get zero Adam moments, so Adam never moves them again."""
        for opt in self.optimizers():
            st = opt.state.get(layer.weight) if opt is not None else None
            if st:
                for k in ("exp_avg", "exp_avg_sq"):
                    if k in st:
                        st[k].mul_(layer.mask)

    def _apply_mask(self, net: str, l: int, mask: torch.Tensor, scheme: str) -> None:
        on, tg = self._layers(net, l)
        on.set_mask(mask)
        tg.set_mask(mask)  # online masks re-applied to the target
        self._zero_moments(on)
        self.scheme[(net, l)] = scheme
        self._changed.append((net, l))
        self.version += 1
        self.on_change()

    def _to_bc(self, net: str, l: int) -> None:
        on, tg = self._layers(net, l)
        on.to_bc(self.cfg.block_size)
        tg.to_bc(self.cfg.block_size)
        with torch.no_grad():
            tg.bc_vec.copy_(on.bc_vec)
        self.scheme[(net, l)] = "bc"
        self.version += 1
        self.on_change()

    def switch_to_group(self, net: str, l: int, sparsity: float) -> None:
        """Carry out a GST switch: layer (net, l) and its target leave BC for group-sparse at ``sparsity``.

        :meth:`on_eval` calls it when the policy decides; benchmarks call it (with the policy's plan marked
        ``group``) to time a network after its switches."""
        on, tg = self._layers(net, l)
        on.bc_to_masked()
        tg.bc_to_masked()
        self._apply_mask(net, l, M.group_mask(on.weight.detach(), self.cfg.group_rows, self.cfg.group_cols, sparsity),
                         "group")

    # ------------------------------------------------------------------ lifecycle
    def _init_modes(self) -> None:
        """Initial modes and masks (before any gradient step); run by the constructor."""
        comp = [k for k in self.keys() if self.compressible(*k)]
        if self.method in ("bc", "gst"):
            for k in comp:
                self._to_bc(*k)
        elif self.method == "nm":
            for net, l in comp:
                self._apply_mask(net, l, M.nm_mask(self.online[net][l].weight.detach(), self.cfg.nm_n, self.cfg.nm_m),
                                 "nm")
        elif self.method == "dst":
            shapes = [tuple(self.online[net][l].weight.shape) for net, l in comp]
            dens = M.erdos_renyi_densities(shapes, self.cfg.dst_sparsity)
            for (net, l), d, shp in zip(comp, dens, shapes, strict=True):
                self._apply_mask(net, l, M.random_mask(self.rng, shp, d), "bitmap")

    def on_grad_step(self, grad_step: int, env_step: int) -> None:
        """Schedules that run every ``prune_every`` grad steps (ip, nm, dst; gst's ramps)."""
        if grad_step % self.cfg.prune_every or grad_step == 0:
            return
        comp = [k for k in self.keys() if self.compressible(*k)]
        if self.method == "gst":
            self._follow_gst(env_step)
        elif self.method == "ip":
            # Pruning starts dense when learning starts (never before: a random-start network has nothing
            # to keep) or later if --ip-begin says so, and reaches s_f at --ip-end of the run.
            T, cfg = self.cfg.total_steps, self.cfg
            t0 = max(cfg.start_steps, cfg.ip_begin * T)
            s = M.IP_SCHEDULES[cfg.ip_schedule](env_step, t0, cfg.ip_end * T, 0.0, cfg.ip_final_sparsity)
            if s <= 0.0 or s == self.ip_sparsity:
                return
            self.ip_sparsity = s
            for net, l in comp:
                on = self.online[net][l]
                self._apply_mask(net, l, M.magnitude_mask(on.dense_weight().detach(), s), "bitmap")
        elif self.method == "nm":
            for net, l in comp:
                on = self.online[net][l]
                new = M.nm_mask(on.weight.detach(), self.cfg.nm_n, self.cfg.nm_m)
                if not torch.equal(new, on.mask.bool()):
                    self._apply_mask(net, l, new, "nm")
        elif self.method == "dst":
            for net, l in comp:
                self._drop_and_regrow(net, l)

    def _drop_and_regrow(self, net: str, l: int) -> None:
        """Drop the smallest active weights, regrow as many random inactive ones (zero-initialised)."""
        on = self.online[net][l]
        mask = on.mask.bool().flatten().clone()
        active = torch.nonzero(mask).flatten()
        inactive = torch.nonzero(~mask).flatten()
        k = min(int(self.cfg.dst_drop_fraction * active.numel()), inactive.numel())
        if k <= 0:
            return
        mags = on.weight.detach().abs().flatten()[active]
        drop = active[torch.topk(mags, k, largest=False).indices]
        grow = inactive[torch.from_numpy(self.rng.choice(inactive.numel(), size=k, replace=False))]
        mask[drop] = False
        mask[grow] = True
        self._apply_mask(net, l, mask.reshape(on.mask.shape), "bitmap")

    def on_eval(self, eval_return: float, learning_started: bool, env_step: int = 0) -> None:
        """GST: update the reward-aware target, let the policy switch or revert a layer, follow the target."""
        if self.method != "gst" or not learning_started:
            return
        target = self.controller.update(eval_return)
        for act in self.gst.on_eval(target, self.controller.last_mean, self.controller.tolerance(), env_step):
            if act.kind == "switch":
                self.switch_to_group(*act.key, act.sparsity)
            else:
                self._group_to_bc(*act.key)
        self._follow_gst(env_step)

    def _follow_gst(self, env_step: int) -> None:
        """Group-sparse layers prune toward (or regrow back to) the policy's sparsity for this step."""
        gr, gc = self.cfg.group_rows, self.cfg.group_cols
        for (net, l), plan in self.gst.layers.items():
            if plan.mode != "group":
                continue
            on = self.online[net][l]
            n_groups = -(-on.out_features // gr) * -(-on.in_features // gc)
            want = M.n_keep(n_groups, self.gst.sparsity((net, l), self.controller.target, env_step))
            if want != self.layer_format(net, l).nnz_units:
                self._regroup(net, l, 1.0 - want / n_groups)

    def _group_to_bc(self, net: str, l: int) -> None:
        """Back to BC: the least-squares projection of each (online, target) weight onto circulant blocks."""
        for layer in self._layers(net, l):
            layer.masked_to_bc()
            for opt in self.optimizers():
                if opt is not None:  # fresh Adam moments for the vectors and for the weight, if it comes back
                    opt.state.pop(layer.bc_vec, None)
                    opt.state.pop(layer.weight, None)
        self.scheme[(net, l)] = "bc"
        self.version += 1
        self.on_change()

    def _regroup(self, net: str, l: int, sparsity: float) -> None:
        """Group-sparse layer to a new target: prune by group norm, or regrow random pruned groups (zeros)."""
        on = self.online[net][l]
        gr, gc = self.cfg.group_rows, self.cfg.group_cols
        kept = M.group_norms(on.mask, gr, gc) > 0
        n_groups = kept.numel()
        want = M.n_keep(n_groups, sparsity)
        have = int(kept.sum())
        if want < have:
            norms = M.group_norms(on.weight.detach() * on.mask, gr, gc).flatten()
            norms[~kept.flatten()] = -1.0
            new = torch.zeros(n_groups, dtype=torch.bool)
            new[torch.topk(norms, want).indices] = True
        else:
            new = kept.flatten().clone()
            off = torch.nonzero(~new).flatten()
            grow = off[torch.from_numpy(self.rng.choice(off.numel(), size=want - have, replace=False))]
            new[grow] = True
        mask = M.expand_groups(new.reshape(kept.shape), gr, gc, on.out_features, on.in_features)
        self._apply_mask(net, l, mask, "group")

    def drain_changes(self) -> list[tuple[str, int]]:
        out, self._changed = self._changed, []
        return out

    # ------------------------------------------------------------------ description
    def layer_format(self, net: str, l: int) -> Format:
        s = self.scheme[(net, l)]
        on = self.online[net][l]
        if s == "dense":
            return Format()
        if s == "bc":
            return Format("bc", block_size=self.cfg.block_size)
        if s == "nm":
            return Format("nm", nm_n=self.cfg.nm_n, nm_m=self.cfg.nm_m)
        if s == "group":
            gr, gc = self.cfg.group_rows, self.cfg.group_cols
            kept = int((M.group_norms(on.mask, gr, gc) > 0).sum())
            return Format("group", group_rows=gr, group_cols=gc, nnz_units=kept)
        return Format("bitmap", nnz_units=int(on.mask.sum()))

    def formats(self) -> dict[tuple[str, int], Format]:
        return {k: self.layer_format(*k) for k in self.keys()}

    @staticmethod
    def _bytes(f: Format, rows: int, cols: int, bits: int = 32) -> int:
        sv, _ = f.resolve(rows, cols)
        return int(formats.stored_bytes(formats.scheme_code(f.scheme), rows, cols, sv, bits, f.group_rows,
                                        f.group_cols, f.nm_m))

    def ratios(self) -> dict[str, float]:
        """Compression ratio of the six networks' weights now, by bytes and by params: accelsim's one
        definition (:func:`accelsim.trace.formats.weight_compression`), each target counted with its online
        network's storage, so the logged ratio equals the one accelsim computes from the trace."""
        cols: dict[str, list[int]] = {k: [] for k in ("code", "rows", "cols", "sv", "gr", "gc", "nm_m")}
        for net, l in self.keys():
            on = self.online[net][l]
            f = self.layer_format(net, l)
            sv, _ = f.resolve(on.out_features, on.in_features)
            for k, v in (("code", formats.scheme_code(f.scheme)), ("rows", on.out_features),
                         ("cols", on.in_features), ("sv", sv), ("gr", f.group_rows), ("gc", f.group_cols),
                         ("nm_m", f.nm_m)):
                cols[k] += [v, v]  # the online network and its target
        a = {k: np.asarray(v, dtype=np.int64) for k, v in cols.items()}
        r = formats.weight_compression(a["code"], a["rows"], a["cols"], a["sv"], 32, a["gr"], a["gc"], a["nm_m"],
                                       a["rows"])
        return {"ratio_bytes": r.bytes, "ratio_params": r.params}

    def layer_stats(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for net, l in self.keys():
            on = self.online[net][l]
            f = self.layer_format(net, l)
            sv, _ = f.resolve(on.out_features, on.in_features)
            out[f"{net}.{l}.mode"] = self.scheme[(net, l)]
            out[f"{net}.{l}.sparsity"] = round(1 - sv / (on.out_features * on.in_features), 6)
        return out

    # ------------------------------------------------------------------ checkpoint
    def state_dict(self) -> dict:
        return {"version": self.version, "scheme": dict(self.scheme), "controller": self.controller.state_dict(),
                "gst": self.gst.state_dict() if self.gst is not None else None,
                "ip_sparsity": self.ip_sparsity, "rng": self.rng.bit_generator.state, "changed": list(self._changed)}

    def load_state_dict(self, d: dict) -> None:
        self.version = d["version"]
        self.scheme = dict(d["scheme"])
        self.controller.load_state_dict(d["controller"])
        if self.gst is not None:
            self.gst.load_state_dict(d["gst"])
        self.ip_sparsity = d["ip_sparsity"]
        self.rng.bit_generator.state = d["rng"]
        self._changed = [tuple(k) for k in d["changed"]]
