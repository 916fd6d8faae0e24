"""Drive one notebook in JupyterLab through Playwright and read what the page shows.

Everything here looks at the rendered page (DOM, pixels), not at the kernel: what a learner
sees in the browser is what is asserted.
"""
from __future__ import annotations

import re
import statistics
import time

# Constructor reprs that appear as text when a widget was not rendered as a control.
WIDGET_REPR = re.compile(r"\b(IntSlider|FloatSlider|FloatLogSlider|IntRangeSlider|SelectionSlider|VBox|HBox|Box|"
                         r"Button|ToggleButtons|Dropdown|Output|Image|IntText|FloatText|HTML|Label|Tab|"
                         r"FloatProgress|IntProgress|Checkbox|Play)\((children|value|description|layout|"
                         r"options|outputs|format|min|max)=")
NOT_RENDERED = ("Error displaying widget", "Loading widget...", "Model not found", "Failed to create view")
CODE_PROMPTS = "() => Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')).map(e => e.textContent.trim())"

# Per code cell: its index among code cells, prompt, and every output's kind and text.
CELL_REPORT = r"""() => Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell')).map((cell, i) => ({
  i, prompt: cell.querySelector('.jp-InputPrompt')?.textContent.trim() || '',
  outputs: Array.from(cell.querySelectorAll('.jp-OutputArea-output')).map(o => ({
    mime: o.dataset.mimeType || (o.querySelector('.jupyter-widgets') ? 'widget' : ''),
    nested: !!o.parentElement.closest('.jupyter-widgets'),
    text: (o.innerText || '').slice(0, 4000)})),
  widgets: cell.querySelectorAll('.jp-OutputArea-output .jupyter-widgets').length,
}))"""

# The widget panels: top-level widget outputs that hold a control (slider, button, dropdown),
# tqdm's progress bars excluded. Each gets a data-gan-panel number for later lookups.
MARK_PANELS = r"""() => {
  const outs = Array.from(document.querySelectorAll('.jp-Notebook .jp-OutputArea-output'))
    .filter(o => !o.parentElement.closest('.jupyter-widgets') && o.querySelector('.jupyter-widgets'));
  let n = 0; const panels = [];
  for (const o of outs) {
    const controls = o.querySelectorAll('.widget-slider, .widget-button, .widget-dropdown, .widget-toggle-buttons');
    if (!controls.length) continue;
    o.dataset.ganPanel = String(n);
    const cell = o.closest('.jp-CodeCell');
    const cells = Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell'));
    panels.push({panel: n, cell: cells.indexOf(cell),
      sliders: Array.from(o.querySelectorAll('.widget-slider')).map(s => s.querySelector('.widget-label')?.innerText || ''),
      buttons: Array.from(o.querySelectorAll('button.widget-button')).map(b => b.innerText.trim())});
    n += 1;
  }
  return panels;
}"""

# Geometry of a panel: its widget box; its cell's output area (the widget plus the figure it
# updates by display id) and every image there, rendered and natural size.
PANEL_GEOMETRY = r"""(n) => {
  const o = document.querySelector(`[data-gan-panel="${n}"]`);
  const root = o.querySelector('.jupyter-widgets');
  const r = root.getBoundingClientRect();
  const areaEl = o.closest('.jp-Cell').querySelector('.jp-OutputArea');
  const area = areaEl.getBoundingClientRect();
  const imgs = Array.from(areaEl.querySelectorAll('img')).map(im => {
    const b = im.getBoundingClientRect();
    return {w: b.width, h: b.height, top: b.top, bottom: b.bottom, nw: im.naturalWidth, nh: im.naturalHeight,
            widget: !!im.closest('.jupyter-widgets')};
  });
  // Controls plus the picture they drive: the widget alone when its picture is inside it (an
  // Image widget), else down to the first figure shown below it (notebook 01: updated by
  // display id). Plain stills shown further down (copies for GitHub) are not the panel.
  const inside = imgs.some(i => i.widget && i.h > 0);
  const below = imgs.filter(i => !i.widget && i.h > 0 && i.top >= r.bottom - 1).sort((a, b) => a.top - b.top);
  const span = (inside || !below.length ? r.bottom : below[0].bottom) - r.top;
  return {w: r.width, h: r.height, scrollW: root.scrollWidth, clientW: root.clientWidth,
          areaW: area.width, areaH: span, imgs, vw: window.innerWidth, vh: window.innerHeight};
}"""

# Digests of everything drawn in the panel's cell: image bytes (data: or blob: URLs fetched)
# and output text outside the controls (readouts excluded).
CELL_DIGEST = r"""async (n) => {
  const o = document.querySelector(`[data-gan-panel="${n}"]`);
  const area = o.closest('.jp-Cell').querySelector('.jp-OutputArea');
  const parts = [];
  for (const im of area.querySelectorAll('img')) {
    if (!im.src) continue;
    const buf = await (await fetch(im.src)).arrayBuffer();
    const d = await crypto.subtle.digest('SHA-256', buf);
    parts.push('img:' + Array.from(new Uint8Array(d)).map(b => b.toString(16).padStart(2, '0')).join(''));
  }
  for (const svg of area.querySelectorAll('svg')) parts.push('svg:' + svg.outerHTML.length + ':' + svg.outerHTML.slice(-200));
  for (const t of area.querySelectorAll('.jp-RenderedText')) parts.push('text:' + t.innerText);
  return parts;
}"""

# Start watching the panel's cell: the first time an <img> with a source not seen before is
# in place (loaded), performance.now() goes to window.__ganT1.
WATCH = r"""(n) => {
  const o = document.querySelector(`[data-gan-panel="${n}"]`);
  const area = o.closest('.jp-Cell').querySelector('.jp-OutputArea');
  const seen = new Set(Array.from(area.querySelectorAll('img')).map(im => im.src));
  window.__ganT1 = null;
  if (window.__ganObs) window.__ganObs.disconnect();
  const done = () => { if (window.__ganT1 === null) window.__ganT1 = performance.now(); };
  const look = () => {
    for (const im of area.querySelectorAll('img')) {
      if (im.src && !seen.has(im.src)) {
        if (im.complete && im.naturalWidth) done(); else im.addEventListener('load', done, {once: true});
        return;
      }
    }
  };
  window.__ganObs = new MutationObserver(look);
  window.__ganObs.observe(area, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
  return performance.now();
}"""


# Generous limits: a slow or busy machine makes the test slower, never red. Each wait below
# is for something the page shows (the kernel's status, numbered prompts, rendered widgets).
KERNEL_READY_S = 600      # a kernel starting while other jobs use the cores
RUN_ALL_START_S = 120     # the menu click to the first prompt that shows * or a number (per try)
STALL_S = 900             # no new numbered prompt for this long: a cell hangs (nbval's cell timeout)
WIDGETS_S = 120           # kernel idle to every widget view rendered

KERNEL_IDLE = ".jp-Notebook-ExecutionIndicator[data-status='idle']"
ANY_PROMPT_STARTED = ("() => Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt'))"
                      ".some(e => /[*0-9]/.test(e.textContent))")
# Widget views are drawn asynchronously after the kernel is idle: done when none says
# "Loading widget..." and the number of rendered widgets stayed the same between two polls.
WIDGETS_SETTLED = r"""() => {
  const loading = Array.from(document.querySelectorAll('.jp-OutputArea-output'))
    .some(o => (o.innerText || '').includes('Loading widget...'));
  const n = document.querySelectorAll('.jp-Notebook .jupyter-widgets').length;
  const same = window.__ganWidgetCount === n;
  window.__ganWidgetCount = n;
  return !loading && same;
}"""


def open_notebook(page, lab, name: str, timeout_s: float = KERNEL_READY_S) -> None:
    """Open ``name`` in a fresh Lab workspace and wait until its kernel is idle."""
    # A workspace of its own, reset: Lab would otherwise reopen the notebooks of earlier tests
    # as hidden tabs of this page.
    ws = re.sub(r"[^A-Za-z0-9]", "-", name)
    page.goto(f"{lab.url}/lab/workspaces/{ws}/tree/{name}?reset&token={lab.token}", timeout=timeout_s * 1000)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout_s * 1000)
    page.wait_for_selector(KERNEL_IDLE, timeout=timeout_s * 1000)


def _click_run_all(page) -> None:
    page.click("li.lm-MenuBar-item:has-text('Run')")
    page.click("li.lm-Menu-item:has(.lm-Menu-itemLabel:text-is('Run All Cells'))")


def run_all(page, stall_s: float = STALL_S) -> float:
    """Menu Run > Run All Cells; wait until no cell is running and the kernel is idle.

    The limit is on progress, not on the total: it fails only when no prompt changed for
    ``stall_s`` seconds (a hanging cell), so a slow machine just takes longer. A cell that
    raises stops Run All: the later prompts stay empty (the caller reports them). Returns seconds.
    """
    t0 = time.time()
    for attempt in range(3):  # a click that Lab dropped while still busy: nothing started, click again
        _click_run_all(page)
        try:
            page.wait_for_function(ANY_PROMPT_STARTED, timeout=RUN_ALL_START_S * 1000, polling=250)
            break
        except Exception:
            if attempt == 2:
                raise TimeoutError(f"Run All Cells started no cell in 3 tries of {RUN_ALL_START_S} s "
                                   "(menu click not taken, or the kernel never started)")
    last, last_change = None, time.time()
    while True:
        prompts = page.evaluate(CODE_PROMPTS)
        if prompts != last:
            last, last_change = prompts, time.time()
        busy = any("*" in p for p in prompts)
        if not busy and page.query_selector(KERNEL_IDLE):
            break
        if time.time() - last_change > stall_s:
            running = [i + 1 for i, p in enumerate(prompts) if "*" in p]
            raise TimeoutError(f"Run All made no progress for {stall_s:.0f} s (code cell(s) {running} still running)")
        time.sleep(0.5)
    page.wait_for_function(WIDGETS_SETTLED, timeout=WIDGETS_S * 1000, polling=500)
    return time.time() - t0


def wait_change(page, n: int, action, timeout_s: float) -> float | None:
    """Do ``action()`` and return the ms until the panel's cell shows a new picture, or None."""
    page.evaluate(WATCH, n)
    t0 = page.evaluate("() => performance.now()")
    action()
    try:
        page.wait_for_function("() => window.__ganT1 !== null", timeout=timeout_s * 1000, polling=20)
    except Exception:
        return None
    return page.evaluate("() => window.__ganT1") - t0


def press_slider(page, n: int, k: int, key: str):
    handle = page.locator(f"[data-gan-panel='{n}'] .widget-slider").nth(k).locator(".noUi-handle").first
    def act():
        handle.focus()
        page.keyboard.press(key)
    return act


def slider_latency(page, n: int, k: int, repeats: int = 3, timeout_s: float = 20) -> tuple[float | None, bool]:
    """Median ms from a slider step (ArrowRight, then back and forth) to the redrawn picture.

    Returns (median or None, whether the drawing's bytes differ after the first step).
    """
    before = page.evaluate(CELL_DIGEST, n)
    times, changed = [], False
    for r in range(repeats):
        key = "ArrowRight" if r % 2 == 0 else "ArrowLeft"
        ms = wait_change(page, n, press_slider(page, n, k, key), timeout_s)
        if ms is None and r == 0:  # the slider may sit at its maximum: step the other way
            ms = wait_change(page, n, press_slider(page, n, k, "ArrowLeft"), timeout_s)
        if ms is None:
            break
        times.append(ms)
        page.wait_for_timeout(300)
        if r == 0:
            changed = page.evaluate(CELL_DIGEST, n) != before
    if not times:
        return None, False
    return statistics.median(times), changed


def bump_seed(page, n: int) -> bool:
    """Add 1 to the panel's ``seed`` box, as a learner trying another seed would; False if none.

    The same settings give the same run (seeded), so Run pressed again with unchanged widgets
    redraws the same picture: a changed setting is what proves the button retrains.
    """
    box = page.locator(f"[data-gan-panel='{n}'] .widget-text:has(.widget-label:text-is('seed')) input").first
    if not box.count():
        return False
    value = int(box.input_value() or 0)
    box.fill(str(value + 1))
    box.press("Enter")   # an IntText sends its value on Enter (or blur)
    return True


def click_button(page, n: int, label: str, timeout_s: float) -> tuple[float | None, bool]:
    """Click the panel's button ``label``; ms until a new picture and whether the drawing changed."""
    before = page.evaluate(CELL_DIGEST, n)
    button = page.locator(f"[data-gan-panel='{n}'] button.widget-button", has_text=label).first
    ms = wait_change(page, n, lambda: button.click(), timeout_s)
    # Let a run that redraws several frames finish before comparing: the kernel goes busy with
    # the click's callback and back to idle when it is done.
    page.wait_for_selector(KERNEL_IDLE, timeout=timeout_s * 1000)
    page.wait_for_timeout(500)
    return ms, page.evaluate(CELL_DIGEST, n) != before
