/* The till's keyboard: F2 search, F4 customer, F8 hold, F9 or Ctrl+Enter pay and save, Esc clear;
   arrow keys and Enter pick a search result; Enter on a barcode or SKU adds the line at once, on any other term
   the first result (the server decides); Alt+1..6 payment mode, F6 cash tendered. Everything else is plain HTMX; without this file the page still works with the mouse. */
(function () {
  "use strict";

  function $(selector) { return document.querySelector(selector); }
  function search() { return $("#pos-search"); }

  function focusSearch(select) {
    var box = search();
    if (!box) return;
    box.focus();
    if (select) box.select();
  }

  function results() {
    return Array.prototype.slice.call(document.querySelectorAll("#search-results .pos-result"));
  }

  function activeIndex(items) {
    for (var i = 0; i < items.length; i++) if (items[i].classList.contains("active")) return i;
    return -1;
  }

  function highlight(items, index) {
    items.forEach(function (item, i) {
      var on = i === index;
      item.classList.toggle("active", on);
      var option = item.closest("[role=option]");
      if (option) option.setAttribute("aria-selected", on ? "true" : "false");
      if (on) item.scrollIntoView({ block: "nearest" });
    });
  }

  function clearResults() {
    var box = $("#search-results");
    if (box) box.innerHTML = "";
  }

  function submit(form) {
    if (!form) return;
    var button = form.querySelector("button[type=submit], button:not([type])");
    if (button && button.disabled) return;
    if (!window.htmx) { form.requestSubmit(); return; }
    htmx.process(form);  // a form swapped in a moment ago is wired up only when the swap settles
    htmx.trigger(form, "submit");
  }

  // Changes still on their way to the server (a quantity typed, then Save clicked at once): Save and Hold wait
  // for them, so the bill saved is the bill on screen. GET look-ups do not count. Counted by their requests'
  // loadend, not by htmx:afterRequest, which reaches nobody when a later answer has replaced the form that asked.
  // Save and Hold also carry the payment form on screen (hx-include), so a payment field's post that is still
  // queued, or lost, when Save goes cannot leave the bill without it (CI once saved a UPI payment unreferenced).
  var pending = 0;
  var waiting = [];
  var closing = 0;  // a Save, Hold or Clear on its way: a change sent now (a late keyup) would be for a bill gone

  function pathOf(detail) {
    return ((detail.requestConfig || {}).path || "").split("?")[0];
  }

  function changes(detail) {
    var config = detail.requestConfig || {};
    var path = pathOf(detail);
    return config.verb === "post" && path.indexOf("/pos/") === 0 && !closes(detail);
  }

  function closes(detail) {
    var path = pathOf(detail);
    return path === "/pos/save" || path === "/pos/hold" || path === "/pos/clear";
  }

  function runWaiting() {
    // After the swap has settled, so the forms on screen are the new ones and htmx has wired them up.
    setTimeout(function () {
      if (pending !== 0) return;
      var run = waiting;
      waiting = [];
      run.forEach(function (job) { job(); });
    }, (htmx.config.defaultSettleDelay || 20) + 40);
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (closing && changes(event.detail)) { event.preventDefault(); return; }
    if (elt && elt.id === "pos-payment") elt.dataset.dirty = "0";
  });

  document.addEventListener("htmx:beforeSend", function (event) {
    var detail = event.detail;
    var xhr = detail.xhr;
    if (!xhr) return;
    if (changes(detail)) {
      pending++;
      xhr.addEventListener("loadend", function () {
        pending = Math.max(pending - 1, 0);
        if (pending === 0 && waiting.length) runWaiting();
      });
    } else if (closes(detail)) {
      closing++;
      xhr.addEventListener("loadend", function () { closing = Math.max(closing - 1, 0); });
    }
  });

  function flushPayment() {
    var payment = $("#pos-payment");
    if (payment && payment.dataset.dirty === "1") {
      payment.dataset.dirty = "0";
      htmx.trigger(payment, "submit");
    }
  }

  document.addEventListener("htmx:confirm", function (event) {
    var form = event.target;
    if (!form || (form.id !== "pos-save-form" && form.id !== "pos-hold-form")) return;
    flushPayment();
    if (pending === 0) return;
    event.preventDefault();
    var id = form.id;
    waiting.push(function () {
      // The totals (and these forms) may have been swapped meanwhile: use the one on screen now.
      submit(document.getElementById(id));
    });
  });

  window.posPendingChanges = function () { return pending; };  // for the browser tests

  function paySave() { submit($("#pos-save-form")); }

  document.addEventListener("keydown", function (event) {
    var key = event.key;
    var target = event.target;
    if (key === "F2") { event.preventDefault(); focusSearch(true); return; }
    if (key === "F4") {
      event.preventDefault();
      var customer = $("#pos-customer-search") || $("#pos-customer button");
      if (customer) customer.focus();
      return;
    }
    if (key === "F8") { event.preventDefault(); submit($("#pos-hold-form")); return; }
    if (key === "F9" || (key === "Enter" && (event.ctrlKey || event.metaKey))) {
      event.preventDefault(); paySave(); return;
    }
    if (key === "Escape") {
      var box = search();
      if (target === box && (box.value || results().length)) {
        event.preventDefault(); box.value = ""; clearResults(); return;
      }
      if (target !== box && target.closest && target.closest("#pos") && target.matches("input, select, textarea")) {
        event.preventDefault(); focusSearch(true); return;
      }
      if (!$("#pos-clear") || $("#pos-clear").disabled) { focusSearch(true); return; }
      event.preventDefault();
      submit($("#pos-clear-form"));  // hx-confirm asks first
      return;
    }
    // Enter in a line's fields re-prices the line (hx-trigger on the row); never submit the no-JS form.
    if (key === "Enter" && target.closest && target.closest(".pos-line") && target.matches("input")) {
      event.preventDefault();
      return;
    }
    if (target === search()) {
      var items = results();
      if (key === "ArrowDown" || key === "ArrowUp") {
        if (!items.length) return;
        event.preventDefault();
        var index = activeIndex(items);
        index = key === "ArrowDown" ? Math.min(index + 1, items.length - 1) : Math.max(index - 1, 0);
        highlight(items, index);
      } else if (key === "Enter") {
        var chosen = activeIndex(items);
        if (chosen >= 0) {
          event.preventDefault();
          submit(items[chosen].closest("form"));
        } else {
          // A scanner's Enter: stop the live search (in flight, or still waiting out its delay) and let the form
          // post the code, so a late list never replaces what the scan answered ("No item has the barcode ...").
          scanEntered = true;
          htmx.trigger(target, "htmx:abort");
        }
      }
    }
  });

  var scanEntered = false;  // Enter was pressed on what is in the search box; typing again clears it
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (scanEntered && event.detail.elt === search()) event.preventDefault();
  });

  document.addEventListener("input", function (event) {
    if (event.target === search()) scanEntered = false;
    var payment = event.target.closest && event.target.closest("#pos-payment");
    if (payment) payment.dataset.dirty = "1";
  });

  // After a line is added (scan or pick): empty the search box and put the cursor back for the next scan.
  document.body.addEventListener("posLineAdded", function () {
    var box = search();
    if (box) { box.value = ""; }
    clearResults();
    focusSearch(false);
  });
  document.body.addEventListener("posReset", function () { focusSearch(false); });
  // After Save (issue 12): the last bill's panel is shown; the next customer starts at once, search empty.
  // The till's events come with HX-Trigger-After-Swap (on <body> if the form that asked was replaced meanwhile):
  // ready the box now, and give it the focus again once the new bill has settled if a swap took it away (it was
  // on a button the swap replaced). Nothing more: within those 20 ms a scanner may already have typed the next
  // code into the box, or the cashier moved on (the panel's Email), and neither must be undone.
  function readyForNext() {
    var box = search();
    if (box) { box.value = ""; }
    clearResults();
    focusSearch(false);
  }
  document.body.addEventListener("posSaved", function () {
    readyForNext();
    // Every swap of the answer (the bill, and its out-of-band parts, in whatever order they settle) may take the
    // focus with the element it replaces: for the next second, a focus left on nothing goes back to the box.
    var until = Date.now() + 1000;
    function refocus() {
      if (Date.now() > until) { document.body.removeEventListener("htmx:afterSettle", refocus); return; }
      var active = document.activeElement;
      if (!active || active === document.body || !active.isConnected) focusSearch(false);
    }
    document.body.addEventListener("htmx:afterSettle", refocus);
  });

  // The cash-tendered placeholder shows the exact amount: kept to the total after every swap of the totals.
  function syncTendered() {
    var tendered = $("#pos-tendered");
    var total = $("#pos-total");
    if (tendered && total && total.dataset.amount) tendered.placeholder = total.dataset.amount;
  }
  document.addEventListener("htmx:afterSettle", syncTendered);
  document.addEventListener("htmx:oobAfterSwap", syncTendered);

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "search-results") highlight(results(), -1);
  });

  /* ---- Issue 12, keys: Alt+1..Alt+6 choose the payment mode (as a click on it would), F6 goes to the cash
     tendered box (switching to cash first), and a split row the server filled with what is left shows it. ---- */
  var PAY_MODES = ["cash", "card", "upi", "wallet", "split", "none"];
  var afterMode = null;  // what to do once the payment form of the chosen mode is on screen

  function chooseMode(mode, then) {
    var radio = document.getElementById("pay-" + mode);
    if (!radio) return;
    if (radio.checked) { if (then) then(); return; }
    afterMode = then || null;
    if (!window.htmx) { radio.click(); return; }
    // As a click: checked, and the form's change posts it (it comes back in that mode's shape). A form swapped
    // in a moment ago is wired up only when its swap settles: wire it now.
    radio.checked = true;
    htmx.process(radio.form);
    htmx.trigger(radio.form, "change");
  }

  function focusTendered() {
    var box = $("#pos-tendered");
    if (box) { box.focus(); box.select(); }
  }

  document.addEventListener("keydown", function (event) {
    var digit = /^(Digit|Numpad)([1-6])$/.exec(event.code || "");
    if (digit && event.altKey && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
      event.preventDefault();
      chooseMode(PAY_MODES[Number(digit[2]) - 1]);
    } else if (event.key === "F6" && !event.altKey && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      chooseMode("cash", focusTendered);
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    var cash = document.getElementById("pay-cash");
    if (afterMode && cash && cash.checked && $("#pos-tendered")) {
      var run = afterMode;
      afterMode = null;
      run();
    }
  });

  document.body.addEventListener("posSplitFilled", function (event) {
    var input = document.getElementById("split-" + event.detail.index + "-amount");
    if (!input || (input === document.activeElement && input.value)) return;  // being typed in: left alone
    input.value = event.detail.amount;
  });
  /* ---- end of issue 12 keys ---- */

  /* ---- Issue 12, after Save: the receipt printed by itself (store option print_receipt_after_save) and the last
     bill emailed from the till. ---- */
  // The panel names the receipt to print (data-print-url). The frame that prints it is made here and put at the end
  // of <body>, outside every swapped part: the next Save, however quick, replaces the panel but never the frame, so
  // each bill's receipt is printed once, after it has loaded. The search box was
  // readied by posSaved; it gets the focus back after the print dialog too.
  var printedReceipts = {};
  function printReceipt(url) {
    if (!url || printedReceipts[url]) return;
    printedReceipts[url] = true;
    var frame = document.createElement("iframe");
    frame.className = "pos-print-frame";
    frame.title = "Receipt for the printer";
    frame.tabIndex = -1;
    frame.setAttribute("aria-hidden", "true");
    frame.addEventListener("load", function () {
      var shown;
      try { shown = frame.contentWindow.location.pathname; } catch (error) { shown = null; }  // not ours
      // Anything but the receipt (the login page after the session ended): nothing to print.
      if (shown !== new URL(url, location.href).pathname) { frame.remove(); return; }
      // Removed once the dialog is done with it (afterprint), or in a minute whatever happens.
      var done = function () { frame.remove(); };
      frame.contentWindow.addEventListener("afterprint", done);
      setTimeout(done, 60000);
      frame.contentWindow.print();
      var active = document.activeElement;
      if (!active || active === document.body) focusSearch(false);
    });
    frame.src = url;
    document.body.appendChild(frame);
  }
  document.body.addEventListener("posSaved", function () {
    var panel = $("#pos-last-bill");
    if (panel) printReceipt(panel.getAttribute("data-print-url"));
  });

  // Email: opening the form puts the cursor in the address; once sent, the cursor goes back to the search box
  // for the next customer (a refused address keeps it in the box, beside the message).
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (details.id !== "pos-last-bill-email" || !details.open) return;
    var to = details.querySelector("input[name=to]");
    if (to) { to.focus(); to.select(); }
  }, true);

  document.addEventListener("htmx:afterSettle", function (event) {
    var path = ((event.detail.requestConfig || {}).path || "").split("?")[0];
    if (!/^\/documents\/bills\/\d+\/email$/.test(path)) return;
    var form = $("#pos-last-bill #email-bill");  // the form swapped in (the one that posted is gone)
    if (!form) return;
    if (form.querySelector("[role=status]")) { focusSearch(false); return; }
    var to = form.querySelector("input[name=to]");
    if (!to) return;
    to.focus();
    var typed = to.value;  // the caret after what was typed, to fix it (an email box has no selection range)
    to.value = "";
    to.value = typed;
  });
  /* ---- end of after Save ---- */

  /* ---- Issue 12, phone lines: one row each; a tap on the name or amount (or the ▾ button, aria-expanded) shows
     the line's details. The lines opened are kept by data-key in a style sheet of their own, so a line re-rendered
     by a swap is open the moment it lands (the field being edited keeps its focus). ---- */
  var openLines = {};

  function openLinesStyle() {
    var style = document.getElementById("pos-open-lines");
    if (!style) {
      style = document.createElement("style");
      style.id = "pos-open-lines";
      document.head.appendChild(style);
    }
    var rules = Object.keys(openLines).map(function (key) {
      var row = '#pos-lines tr.pos-line[data-key="' + CSS.escape(key) + '"]';
      // As pos.css's phone rules: the rate gives its room to the staff select where a line has one.
      return row + " td.detail { display: block; } " + row + "::after { display: block; } " +
        row + ":has(td[data-label=Staff]) td[data-label=Rate] { display: none; }";
    });
    style.textContent = rules.length ? "@media (max-width: 640px) { " + rules.join(" ") + " }" : "";
  }

  function syncLines() {
    document.querySelectorAll("#pos-lines tr.pos-line").forEach(function (row) {
      var open = Object.prototype.hasOwnProperty.call(openLines, row.dataset.key);
      row.classList.toggle("open", open);
      var button = row.querySelector(".line-more");
      if (button) button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  function toggleLine(row) {
    var key = row.dataset.key;
    if (Object.prototype.hasOwnProperty.call(openLines, key)) delete openLines[key];
    else openLines[key] = true;
    openLinesStyle();
    syncLines();
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) return;
    var row = target.closest("#pos-lines tr.pos-line");
    if (!row) return;
    if (target.closest(".line-more")) { toggleLine(row); return; }
    // A tap on the name or the amount (not on a field) on a phone, where the details are folded away.
    if (!target.closest("td.item, td.line-total") || target.closest("input, select, button, a, form")) return;
    if (window.matchMedia("(max-width: 640px)").matches) toggleLine(row);
  });

  // The − and + beside a line's quantity (pieces): the box changes by one and the row re-prices as if typed.
  document.addEventListener("click", function (event) {
    var step = event.target.closest && event.target.closest("#pos-lines .qty-step");
    if (!step) return;
    var box = step.closest("td").querySelector("input.qty");
    var next = (parseInt(box.value, 10) || 0) + parseInt(step.dataset.step, 10);
    if (next < 1) return;  // the ✕ removes a line; the stepper never goes below one
    box.value = String(next);
    box.dispatchEvent(new Event("change", { bubbles: true }));
  });

  document.addEventListener("htmx:afterSwap", syncLines);
  document.addEventListener("htmx:oobAfterSwap", syncLines);
  function forgetOpenLines() { openLines = {}; openLinesStyle(); }
  document.body.addEventListener("posSaved", forgetOpenLines);
  document.body.addEventListener("posReset", forgetOpenLines);
  window.posOpenLines = function () { return Object.keys(openLines); };  // for the browser tests
  /* ---- end of phone lines ---- */

  document.addEventListener("DOMContentLoaded", function () {
    if (!document.activeElement || document.activeElement === document.body) focusSearch(false);
  });
})();
