// Helpers both accelsim pages share (inlined before explorer.js and live.js): an element builder and the number
// format of every figure shown.
window.accelsimUI = (function () {
  "use strict";
  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const k of kids) e.append(k);
    return e;
  };
  const fmt = (v) => {
    if (v === undefined || v === null || Number.isNaN(v)) return "–";
    if (Number.isInteger(v) && Math.abs(v) >= 1e4) return v.toLocaleString("en-US");
    const a = Math.abs(v);
    return a !== 0 && (a >= 1e6 || a < 1e-3) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
  };
  return {el, fmt};
})();
