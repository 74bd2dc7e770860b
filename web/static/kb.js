// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Changing the search mode re-runs the search straight away.
  document.querySelectorAll("form.search input[name=mode]").forEach(function (radio) {
    radio.addEventListener("change", function () { radio.form.submit(); });
  });
  // Keys, when not typing: "/" focuses the search box (as on most search sites); j / k (or
  // ArrowDown / ArrowUp once a hit has focus) move between hits; Enter on a focused hit opens
  // it in its report.
  function typing(el) {
    return el && (/INPUT|TEXTAREA|SELECT/.test(el.tagName) || el.isContentEditable);
  }
  function hitCards() {  // the shown ones (not those folded in a closed <details>)
    return Array.prototype.slice.call(document.querySelectorAll("article.hit"))
      .filter(function (card) { return card.getClientRects().length > 0; });
  }
  function moveFocus(step) {
    var cards = hitCards();
    if (!cards.length) { return false; }
    var current = document.activeElement && document.activeElement.closest ?
      document.activeElement.closest("article.hit") : null;
    var i = cards.indexOf(current);
    var next = cards[i < 0 ? (step > 0 ? 0 : cards.length - 1) :
      Math.min(Math.max(i + step, 0), cards.length - 1)];
    next.setAttribute("tabindex", "-1");
    next.focus({ preventScroll: true });
    next.scrollIntoView({ block: "nearest" });
    return true;
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(document.activeElement)) { return; }
    var box = document.querySelector("form.search input[name=q]");
    var onHit = document.activeElement && document.activeElement.matches &&
      document.activeElement.matches("article.hit");
    if (e.key === "/" && box) {
      e.preventDefault(); box.focus(); box.select();
    } else if (e.key === "j" || (onHit && e.key === "ArrowDown")) {
      if (moveFocus(1)) { e.preventDefault(); }
    } else if (e.key === "k" || (onHit && e.key === "ArrowUp")) {
      if (moveFocus(-1)) { e.preventDefault(); }
    } else if (onHit && e.key === "Enter") {
      var open = document.activeElement.querySelector("a.to-report");
      if (open) { e.preventDefault(); open.click(); }
    }
  });
  // Centre the chosen passage of a report rather than pinning it under the header.
  var chosen = document.querySelector(".passage.selected");
  if (chosen) { chosen.scrollIntoView({ block: "center" }); }
  // 复制引用: the passage and its GB/T 7714 citation (prepared by the server in data-copy) go
  // to the clipboard, and the button says so. Without the async Clipboard API (an insecure
  // origin), a selected textarea and execCommand("copy") do the same.
  function copyByHand(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (err) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }
  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("button.copy-cite") : null;
    if (!button) { return; }
    var text = button.getAttribute("data-copy");
    var status = button.parentNode.querySelector(".copy-status");
    function show(ok) {
      button.classList.toggle("copied", ok);
      if (status) { status.textContent = ok ? "已复制段落和引用" : "复制失败，请选中文字手动复制"; }
      window.clearTimeout(button.copyTimer);
      button.copyTimer = window.setTimeout(function () {
        button.classList.remove("copied");
        if (status) { status.textContent = ""; }
      }, 4000);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { show(true); },
        function () { show(copyByHand(text)); });
    } else {
      show(copyByHand(text));
    }
  });
  // A long facet gets a filter box: typing keeps the values that contain the text, including
  // those folded behind 更多 (which opens while a filter is typed).
  document.querySelectorAll("input.facet-filter").forEach(function (box) {
    var facet = box.closest(".facet");
    var more = facet.querySelector("details.more");
    var wasOpen = more ? more.open : false;
    box.hidden = false;
    box.addEventListener("input", function () {
      var needle = box.value.trim().toLowerCase();
      facet.querySelectorAll("li[data-value]").forEach(function (li) {
        li.hidden = needle !== "" && li.getAttribute("data-value").toLowerCase().indexOf(needle) < 0;
      });
      if (more) { more.open = needle !== "" || wasOpen; }
    });
  });
  // 加入案例集 without leaving the results: the control's own form (with its token) is posted
  // by fetch and answered with JSON; the card is marked 已加入《…》 and the page stays where it
  // was. Any answer that is not JSON (a server without this, an error page) falls back to the
  // ordinary form post.
  function optionLabel(c) { return c.name + "（" + c.count + " 条）"; }
  function rememberCollection(c) {
    document.querySelectorAll("form.collect-form").forEach(function (form) {
      var select = form.querySelector("select[name=collection]");
      if (select) {
        var option = select.querySelector("option[value='" + c.id + "']");
        if (!option) {
          option = document.createElement("option");
          option.value = String(c.id);
          select.appendChild(option);
        }
        option.textContent = optionLabel(c);
        select.value = String(c.id);
        var name = form.querySelector("input[name=name]");
        if (name) { name.value = ""; }
      } else {
        var only = form.querySelector("input[name=name]");
        if (only && !only.value) { only.value = c.name; }  // the same collection next time
      }
    });
  }
  function markAdded(form, body) {
    var details = form.closest("details.collect");
    var mark = details.parentNode.querySelector(".collected");
    if (!mark) {
      mark = document.createElement("p");
      mark.className = "collected";
      mark.setAttribute("role", "status");
      details.parentNode.insertBefore(mark, details.nextSibling);
    }
    mark.textContent = "已加入《" + body.collection.name + "》 ";
    var link = document.createElement("a");
    link.href = body.url;
    link.textContent = "查看案例集";
    mark.appendChild(link);
    details.open = false;
    form.querySelector("textarea[name=note]").value = "";
    rememberCollection(body.collection);
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    // Only a hit card's control: the page for adding one passage goes on to the collection.
    if (!form.matches || !form.matches("details.collect form.collect-form") || !window.fetch) {
      return;
    }
    e.preventDefault();
    var button = form.querySelector("button[type=submit]");
    var status = form.querySelector(".collect-status");
    button.disabled = true;
    if (status) { status.textContent = "正在加入…"; }
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (res) {
      button.disabled = false;
      if (res.ok) {
        if (status) { status.textContent = ""; }
        markAdded(form, res.body);
      } else if (status) {
        status.textContent = (res.body.error && res.body.error.message) || "加入失败";
      }
    }).catch(function () { form.submit(); });
  });
  // Filters start folded on a phone so results come first.
  if (window.matchMedia("(max-width: 760px)").matches) {
    document.querySelectorAll(".filters-box, .outline details").forEach(function (d) { d.open = false; });
  }
})();
